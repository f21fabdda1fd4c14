"""The SDK's own CPU per HEAD: plain boto3 ``head_object`` calls, ``--threads`` at a time, with the
client settings modelinfra uses (standard retries, keep-alive, a pool as large as its), against
whatever ``AWS_ENDPOINT_URL`` points at. ``run.py`` prints it beside modelinfra's marginal CPU per
request, so what modelinfra adds on top of botocore, urllib3 and http.client can be read off.

    AWS_ENDPOINT_URL=... python benchmarks/sdk_floor.py --bucket B --requests 1000 --threads 16

Prints one JSON object: ``{"requests": N, "cpu_per_request_ms": X}`` (the process's user + system
CPU over the HEAD loop only: imports, client set-up and the first HEAD of each thread excluded).
"""

from __future__ import annotations

import argparse
import json
import resource
import threading


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--key", default="floor.bin")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client("s3", config=Config(
        retries={"mode": "standard", "total_max_attempts": 5}, max_pool_connections=args.threads * 12,
        tcp_keepalive=True))
    client.create_bucket(Bucket=args.bucket)
    client.put_object(Bucket=args.bucket, Key=args.key, Body=b"x" * 1024)
    each = max(1, args.requests // args.threads)
    ready = threading.Barrier(args.threads + 1)

    def heads() -> None:
        client.head_object(Bucket=args.bucket, Key=args.key)  # this thread's connection, opened
        ready.wait()
        ready.wait()
        for _ in range(each):
            client.head_object(Bucket=args.bucket, Key=args.key)

    threads = [threading.Thread(target=heads) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    ready.wait()
    start = cpu_seconds()
    ready.wait()
    for thread in threads:
        thread.join()
    spent = cpu_seconds() - start
    total = each * args.threads
    print(json.dumps({"requests": total, "cpu_per_request_ms": round(1000 * spent / total, 3)}))


if __name__ == "__main__":
    main()
