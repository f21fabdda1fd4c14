"""`make demo`: every example through its whole lifecycle against the local sandbox.

For each spec in examples/ (or the ones named with --example): validate → plan → apply → plan
(no changes) → an out-of-band change made through the cloud SDK → drift (exit 2 expected) →
apply (repairs it) → destroy, printing the real CLI output. The sandbox (moto, Azurite, ARM
emulator) is started first and always stopped at the end, also on Ctrl-C or failure.
Exit 0 only if every step of every example behaved as expected.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent


def banner(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m" if sys.stdout.isatty() else f"\n==> {text}", flush=True)


def cli(*args: str, cwd: Path, expect: tuple[int, ...] = (0,)) -> int:
    """Run `modelinfra ARGS`, streaming its output; fail the demo on an unexpected exit code."""
    print(f"$ modelinfra {' '.join(args)}", flush=True)
    code = subprocess.call([str(BIN / "modelinfra"), *args], cwd=cwd)
    if code not in expect:
        raise SystemExit(f"demo: `modelinfra {' '.join(args)}` exited {code}, expected {expect}")
    print(f"(exit {code})", flush=True)
    return code


def generate_model_files(spec: Path) -> None:
    """Example model files are made here, small, never committed."""
    import re

    for source in set(re.findall(r"source:\s*\.?/?([\w./-]+)", spec.read_text())):
        path = spec.parent / source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(256 * 1024))


def change_out_of_band(spec: Path) -> str:
    """Make one change outside modelinfra, through the cloud SDK, on a resource the example manages:
    a tag on the first S3 bucket or Azure resource group. Returns what was changed."""
    import json

    state_files = list((spec.parent / ".modelinfra").glob("*.state.json"))
    resources = json.loads(state_files[0].read_text())["resources"]
    for address, entry in sorted(resources.items()):
        if entry["type"] == "aws.s3_bucket":
            import boto3

            s3 = boto3.client("s3")
            tags = s3.get_bucket_tagging(Bucket=entry["id"])["TagSet"]
            s3.put_bucket_tagging(Bucket=entry["id"],
                                  Tagging={"TagSet": [*tags, {"Key": "changed-by", "Value": "someone"}]})
            return f"{address}: added tag changed-by=someone to bucket {entry['id']} with boto3"
        if entry["type"] == "azure.resource_group":
            from modelinfra.providers.azure.session import AzureSession
            from modelinfra.settings import Settings
            from modelinfra.spec.providers import AzureProviderConfig

            session = AzureSession(AzureProviderConfig(subscription_id=os.environ["AZURE_SUBSCRIPTION_ID"]), Settings())
            groups = session.mgmt("resource").resource_groups
            name = entry["id"].rsplit("/", 1)[-1]
            tags = dict(groups.get(name).tags or {})
            groups.update(name, {"tags": {**tags, "changed-by": "someone"}})
            return f"{address}: added tag changed-by=someone to resource group {name} with azure-mgmt-resource"
    raise SystemExit(f"demo: {spec.name} has no S3 bucket or resource group to change out of band")


def lifecycle(example: Path, workdir: Path) -> None:
    spec = workdir / example.name
    shutil.copy(example, spec)
    generate_model_files(spec)
    banner(f"{example.name}: validate")
    cli("validate", spec.name, cwd=workdir)
    banner(f"{example.name}: plan")
    cli("plan", spec.name, "--detailed-exitcode", cwd=workdir, expect=(2,))
    banner(f"{example.name}: apply")
    cli("apply", spec.name, "--auto-approve", cwd=workdir)
    banner(f"{example.name}: plan again — nothing to do")
    cli("plan", spec.name, "--detailed-exitcode", cwd=workdir, expect=(0,))
    banner(f"{example.name}: someone changes the cloud by hand")
    print(change_out_of_band(spec), flush=True)
    banner(f"{example.name}: drift — exit 2 means drift")
    cli("drift", spec.name, cwd=workdir, expect=(2,))
    banner(f"{example.name}: apply repairs the drift")
    cli("apply", spec.name, "--auto-approve", cwd=workdir)
    cli("drift", spec.name, cwd=workdir, expect=(0,))
    banner(f"{example.name}: destroy")
    cli("destroy", spec.name, "--auto-approve", cwd=workdir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", action="append", help="run only this example (file name); repeatable")
    args = parser.parse_args(argv)
    examples = sorted(EXAMPLES.glob("*.yaml"))
    if args.example:
        examples = [e for e in examples if e.name in args.example]
        missing = set(args.example) - {e.name for e in examples}
        if missing:
            parser.error(f"no such example: {', '.join(sorted(missing))}")
    from modelinfra.sandbox.launcher import sandbox_down, sandbox_up

    sandbox_dir = Path(tempfile.mkdtemp(prefix="modelinfra-sandbox-"))
    banner("starting the sandbox: moto (AWS), Azurite (blob), ARM emulator (Azure management)")
    try:
        env = sandbox_up(sandbox_dir)
        os.environ.update(env)
        for key, value in env.items():
            print(f"export {key}={value}")
        with tempfile.TemporaryDirectory(prefix="modelinfra-demo-") as tmp:
            for example in examples:
                workdir = Path(tmp) / example.stem
                workdir.mkdir()
                lifecycle(example, workdir)
        banner(f"demo complete: {len(examples)} example(s) went through their whole lifecycle")
        return 0
    except KeyboardInterrupt:
        print("\ndemo interrupted", file=sys.stderr)
        return 130
    finally:
        banner("stopping the sandbox")
        sandbox_down(sandbox_dir)
        shutil.rmtree(sandbox_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
