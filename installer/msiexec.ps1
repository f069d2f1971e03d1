# Install or uninstall an MSI silently with a verbose log, as IT deploys it, and fail
# (showing the log's end) unless msiexec succeeds. Used by .github/workflows/windows.yml.
#   pwsh installer/msiexec.ps1 install build\msi\calnet-desk-machine.msi logs\machine-install.log
param(
    [Parameter(Mandatory = $true)][ValidateSet('install', 'uninstall')][string] $Action,
    [Parameter(Mandatory = $true)][string] $Msi,
    [Parameter(Mandatory = $true)][string] $Log
)
$ErrorActionPreference = 'Stop'
$msiPath = (Resolve-Path -LiteralPath $Msi).Path
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null
$flag = if ($Action -eq 'install') { '/i' } else { '/x' }
$arguments = "$flag `"$msiPath`" /qn /norestart /l*v `"$Log`""
Write-Host "msiexec $arguments"
$process = Start-Process -FilePath msiexec.exe -ArgumentList $arguments -Wait -PassThru
# 3010: success, a restart is required to finish (never expected here, but not a failure)
if ($process.ExitCode -notin 0, 3010) {
    if (Test-Path -LiteralPath $Log) { Get-Content -LiteralPath $Log -Tail 60 }
    throw "msiexec $flag $Msi exited $($process.ExitCode)"
}
