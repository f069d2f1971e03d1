# Sign files with the code-signing certificate in $env:SIGNING_CERT (a base64 PFX) and
# $env:SIGNING_PASSWORD, timestamped, SHA-256. Used by .github/workflows/windows.yml only
# when the repository has the secret; unsigned builds skip it.
#   pwsh installer/sign.ps1 "dist\CALNET Desk\calnet-desk.exe" build\msi\calnet-desk-machine.msi
param([Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)][string[]] $Files)
$ErrorActionPreference = 'Stop'
if (-not $env:SIGNING_CERT) { throw 'SIGNING_CERT is empty: nothing to sign with' }
$signtool = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" |
    Sort-Object { [version]$_.Directory.Parent.Name } | Select-Object -Last 1
if (-not $signtool) { throw 'signtool.exe not found (Windows SDK)' }
$pfx = Join-Path ([IO.Path]::GetTempPath()) ("sign-" + [guid]::NewGuid() + ".pfx")
try {
    [IO.File]::WriteAllBytes($pfx, [Convert]::FromBase64String($env:SIGNING_CERT))
    & $signtool.FullName sign /f $pfx /p $env:SIGNING_PASSWORD /fd sha256 `
        /tr http://timestamp.digicert.com /td sha256 /d 'CALNET Desk' @Files
    if ($LASTEXITCODE -ne 0) { throw "signtool sign exited $LASTEXITCODE" }
    & $signtool.FullName verify /pa @Files
    if ($LASTEXITCODE -ne 0) { throw "signtool verify exited $LASTEXITCODE" }
} finally {
    Remove-Item -LiteralPath $pfx -ErrorAction SilentlyContinue
}
