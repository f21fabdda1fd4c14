"""The emulated AWS: moto server over HTTP, plus the AWS Backup operations moto lacks.

``start_aws_emulator`` is the only entry point; ``backup_ext`` holds the Backup extensions
(selections, plan updates and versions, backup jobs and recovery points, AWS's delete rules);
``s3_ext`` keeps ``NewerNoncurrentVersions`` in S3 bucket lifecycle rules, which moto drops.
"""

from __future__ import annotations

from modelinfra.sandbox.aws.server import start_aws_emulator

__all__ = ["start_aws_emulator"]
