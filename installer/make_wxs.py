"""Generate the WiX 3 file list of the one-dir bundle, and build the two MSIs.

    python installer/make_wxs.py "dist/CALNET Desk" --out-dir build/msi --build wixl
    python installer/make_wxs.py "dist/CALNET Desk" --out-dir build/msi --build wix3

writes OUT/files-machine.wxs and OUT/files-user.wxs (a Fragment each: the bundle's folders
under INSTALLDIR and a ComponentGroup `AppFiles`) and, with --build, links each with its
product source (installer/calnet-desk-machine.wxs, installer/calnet-desk-user.wxs) into
OUT/calnet-desk-machine.msi and OUT/calnet-desk-user.msi: with Debian's `wixl` (the CI check
on Linux) or with the WiX 3 toolset's candle and light (the Windows build).

Component GUIDs are uuid5 of the relative path, so the same file keeps its GUID from one
build to the next. The per-machine package has one component per file, its key path the
file (Program Files). The per-user package has one component per folder, its key path a
value under HKCU with a RemoveFolder for the folder, as Windows Installer asks of anything
installed into the user profile (ICE38, ICE64). Both packages are major upgrades of their
own earlier versions (a new ProductCode every build), which remove the old one first, so a
component whose folder gains or loses files between versions does no harm.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

SCOPES = ("machine", "user")
PRODUCT_SOURCES = {scope: HERE / f"calnet-desk-{scope}.wxs" for scope in SCOPES}
DEFAULT_ICON = ROOT / "resources" / "calnet-desk.ico"
# The executables the product sources point at (shortcut, smoke tests).
REQUIRED_FILES = ("calnet-desk.exe", "calnet-desk-cli.exe")
# Never installed: a portable marker would send every user's register into Program Files.
EXCLUDED_NAMES = frozenset({"portable", "portable.txt", "calnet-desk.portable"})

# Fixed for ever: component GUIDs and element ids are derived from it and the relative path.
COMPONENT_NAMESPACE = uuid.UUID("4903D8FA-FDDF-4ECB-AF80-5FBB907B8E4D")
# HKCU key holding the per-user package's key paths (one value per folder).
USER_KEY = r"Software\CALNET Desk\Installer"


class WxsError(Exception):
    """The bundle or the version cannot be made into an installer."""


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    with pyproject.open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def msi_version(version: str) -> str:
    """MSI ProductVersion: major.minor.build, 255.255.65535 at most (a PEP 440 release)."""
    match = re.match(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", version.strip())
    if not match:
        raise WxsError(f"version {version!r} does not start with a number")
    parts = [int(p) if p is not None else 0 for p in match.groups()]
    if parts[0] > 255 or parts[1] > 255 or parts[2] > 65535:
        raise WxsError(f"version {version!r} is past MSI's 255.255.65535")
    return ".".join(str(p) for p in parts)


def _key(kind: str, scope: str, rel: str) -> uuid.UUID:
    return uuid.uuid5(COMPONENT_NAMESPACE, f"{kind}:{scope}:{rel}")


def component_guid(scope: str, rel: str) -> str:
    """Stable GUID of the component for `rel` (a file for machine, a folder for user)."""
    return str(_key("component", scope, rel)).upper()


def _id(prefix: str, kind: str, scope: str, rel: str) -> str:
    # MSI identifiers: letters, digits, _ and ., at most 72 characters.
    return f"{prefix}_{_key(kind, scope, rel).hex[:24]}"


def bundle_files(dist: Path) -> list[PurePosixPath]:
    """Every file of the bundle, relative, sorted; refuses links and a missing executable."""
    if not dist.is_dir():
        raise WxsError(f"{dist} is not a folder (build the bundle first: installer/build.py)")
    files: list[PurePosixPath] = []
    for dirpath, dirnames, filenames in os.walk(dist):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = PurePosixPath(path.relative_to(dist).as_posix())
            if path.is_symlink() or not path.is_file():
                raise WxsError(f"{rel} is not a regular file; an MSI holds only files")
            if len(rel.parts) == 1 and name.lower() in EXCLUDED_NAMES:
                continue
            files.append(rel)
    missing = [name for name in REQUIRED_FILES if PurePosixPath(name) not in files]
    if missing:
        raise WxsError(f"{dist} lacks {', '.join(missing)}")
    return sorted(files, key=lambda p: (p.parent.as_posix(), p.name))


def fragment(dist: Path, scope: str) -> str:
    """The WiX 3 Fragment for one scope: folders under INSTALLDIR, ComponentGroup AppFiles."""
    if scope not in SCOPES:
        raise WxsError(f"scope {scope!r} is not one of {SCOPES}")
    files = bundle_files(dist)
    by_folder: dict[PurePosixPath, list[PurePosixPath]] = {}
    for rel in files:
        by_folder.setdefault(rel.parent, []).append(rel)
    # Every folder on the way to a file, so nested folders without files of their own exist.
    folders = {PurePosixPath(".")}
    for folder in by_folder:
        folders.update([folder, *folder.parents])
    children: dict[PurePosixPath, list[PurePosixPath]] = {}
    for folder in sorted(folders, key=lambda p: p.as_posix()):
        if folder != PurePosixPath("."):
            children.setdefault(folder.parent, []).append(folder)

    component_ids: list[str] = []

    def dir_id(folder: PurePosixPath) -> str:
        return "INSTALLDIR" if folder == PurePosixPath(".") else _id(
            "dir", "directory", scope, folder.as_posix())

    def source(rel: PurePosixPath) -> str:
        return quoteattr(f"$(var.SourceDir)/{rel.as_posix()}")

    def emit(folder: PurePosixPath, depth: int) -> list[str]:
        pad = "  " * depth
        out: list[str] = []
        folder_files = by_folder.get(folder, [])
        if scope == "machine":
            for rel in folder_files:
                cid = _id("cmp", "component", scope, rel.as_posix())
                component_ids.append(cid)
                out += [
                    f"{pad}<Component Id={quoteattr(cid)} "
                    f"Guid={quoteattr(component_guid(scope, rel.as_posix()))}>",
                    f"{pad}  <File Id={quoteattr(_id('fil', 'file', scope, rel.as_posix()))} "
                    f"Name={quoteattr(rel.name)} Source={source(rel)} KeyPath=\"yes\"/>",
                    f"{pad}</Component>",
                ]
        else:
            # One component per folder (files or not): the folder must be removed too (ICE64).
            rel_folder = folder.as_posix()
            cid = _id("cmp", "component", scope, rel_folder)
            component_ids.append(cid)
            out.append(f"{pad}<Component Id={quoteattr(cid)} "
                       f"Guid={quoteattr(component_guid(scope, rel_folder))}>")
            for rel in folder_files:
                fid = _id("fil", "file", scope, rel.as_posix())
                out.append(f"{pad}  <File Id={quoteattr(fid)} "
                           f"Name={quoteattr(rel.name)} Source={source(rel)}/>")
            out += [
                f"{pad}  <RemoveFolder Id={quoteattr(_id('rmf', 'remove', scope, rel_folder))} "
                f"On=\"uninstall\"/>",
                f"{pad}  <RegistryValue Root=\"HKCU\" Key={quoteattr(USER_KEY)} "
                f"Name={quoteattr('files/' + rel_folder)} Type=\"integer\" Value=\"1\" "
                f"KeyPath=\"yes\"/>",
                f"{pad}</Component>",
            ]
        for child in children.get(folder, []):
            out.append(f"{pad}<Directory Id={quoteattr(dir_id(child))} "
                       f"Name={quoteattr(child.name)}>")
            out += emit(child, depth + 1)
            out.append(f"{pad}</Directory>")
        return out

    body = emit(PurePosixPath("."), 3)
    digest = hashlib.sha256("\n".join(p.as_posix() for p in files).encode()).hexdigest()
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f"<!-- Generated by installer/make_wxs.py ({scope}, {len(files)} files, "
        f"list sha256 {digest[:16]}); do not edit. -->",
        '<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">',
        "  <Fragment>",
        '    <DirectoryRef Id="INSTALLDIR">',
        *body,
        "    </DirectoryRef>",
        '    <ComponentGroup Id="AppFiles">',
        *(f"      <ComponentRef Id={quoteattr(cid)}/>" for cid in component_ids),
        "    </ComponentGroup>",
        "  </Fragment>",
        "</Wix>",
        "",
    ]
    return "\n".join(lines)


def write_fragments(dist: Path, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for scope in SCOPES:
        path = out_dir / f"files-{scope}.wxs"
        path.write_text(fragment(dist, scope), encoding="utf-8")
        written[scope] = path
    return written


def defines(dist: Path, version: str, icon: Path, relative_to: Path | None = None
            ) -> dict[str, str]:
    """The preprocessor variables the product sources use."""
    def where(path: Path) -> str:
        path = path.resolve()
        if relative_to is not None:
            return Path(os.path.relpath(path, relative_to.resolve())).as_posix()
        return str(path)

    if not icon.is_file():
        raise WxsError(f"icon {icon} not found")
    return {"ProductVersion": msi_version(version), "SourceDir": where(dist),
            "IconFile": where(icon)}


def wixl_commands(dist: Path, out_dir: Path, version: str, icon: Path) -> list[list[str]]:
    """wixl looks up relative sources only (0.101 asserts on absolute ones): run in out_dir."""
    variables = defines(dist, version, icon, relative_to=out_dir)
    commands = []
    for scope in SCOPES:
        command = ["wixl", "--arch", "x64"]
        for name, value in variables.items():
            command += ["-D", f"{name}={value}"]
        command += ["-o", f"calnet-desk-{scope}.msi", str(PRODUCT_SOURCES[scope]),
                    f"files-{scope}.wxs"]
        commands.append(command)
    return commands


def _wix3_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    wix = os.environ.get("WIX")  # set by the WiX 3 installer
    if wix and (Path(wix) / "bin" / f"{name}.exe").is_file():
        return str(Path(wix) / "bin" / f"{name}.exe")
    raise WxsError(f"{name} not found: install the WiX Toolset 3 (choco install wixtoolset)")


def wix3_commands(dist: Path, out_dir: Path, version: str, icon: Path,
                  candle: str = "candle", light: str = "light") -> list[list[str]]:
    variables = defines(dist, version, icon)
    commands = []
    for scope in SCOPES:
        obj = out_dir / f"obj-{scope}"
        command = [candle, "-nologo", "-arch", "x64", "-out", f"{obj}{os.sep}"]
        command += [f"-d{name}={value}" for name, value in variables.items()]
        command += [str(PRODUCT_SOURCES[scope]), str(out_dir / f"files-{scope}.wxs")]
        commands.append(command)
        commands.append([light, "-nologo", "-spdb",
                         "-out", str(out_dir / f"calnet-desk-{scope}.msi"),
                         str(obj / f"calnet-desk-{scope}.wixobj"),
                         str(obj / f"files-{scope}.wixobj")])
    return commands


def build(dist: Path, out_dir: Path, version: str, icon: Path, tool: str) -> list[Path]:
    out_dir = out_dir.resolve()
    write_fragments(dist, out_dir)
    if tool == "wixl":
        commands = wixl_commands(dist, out_dir, version, icon)
    elif tool == "wix3":
        for scope in SCOPES:
            (out_dir / f"obj-{scope}").mkdir(exist_ok=True)
        commands = wix3_commands(dist, out_dir, version, icon,
                                 _wix3_tool("candle"), _wix3_tool("light"))
    else:
        raise WxsError(f"unknown tool {tool!r}")
    for command in commands:
        print("+", " ".join(command), flush=True)
        subprocess.run(command, check=True, cwd=out_dir if tool == "wixl" else None)
    return [out_dir / f"calnet-desk-{scope}.msi" for scope in SCOPES]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist", type=Path, help="the one-dir bundle (dist/CALNET Desk)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "build" / "msi")
    parser.add_argument("--version", default=None,
                        help="product version (default: pyproject.toml's)")
    parser.add_argument("--icon", type=Path, default=DEFAULT_ICON)
    parser.add_argument("--build", choices=("wixl", "wix3"), default=None,
                        help="also build both MSIs with wixl (Linux) or candle/light (WiX 3)")
    args = parser.parse_args(argv)
    version = args.version or project_version()
    try:
        if args.build:
            for msi in build(args.dist, args.out_dir, version, args.icon, args.build):
                print(msi)
        else:
            for path in write_fragments(args.dist, args.out_dir).values():
                print(path)
            print(f"ProductVersion={msi_version(version)}")
    except WxsError as error:
        print(f"make_wxs: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"make_wxs: {error.cmd[0]} failed with exit code {error.returncode}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
