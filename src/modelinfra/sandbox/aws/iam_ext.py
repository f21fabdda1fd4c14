"""AWS's own managed IAM policies in the emulator, as every real account has them.

moto creates them only when its ``iam.load_aws_managed_policies`` setting is on at the moment an
account's IAM backend is built; off (its default), attaching e.g.
``arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`` fails with
``NoSuchEntity``. ``install`` turns the setting on for backends built from now on and loads the
policies into the backends that already exist (other services build IAM backends as a side
effect, before any IAM request reaches the server). Idempotent.
"""

from __future__ import annotations


def install() -> None:
    from moto.core.config import default_user_config
    from moto.iam.models import iam_backends

    default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
    for by_partition in list(iam_backends.values()):
        for backend in list(by_partition.values()):
            if not backend.aws_managed_policies:
                backend.aws_managed_policies = backend._init_aws_policies()
                for policy in backend.aws_managed_policies:
                    backend.managed_policies.setdefault(policy.arn, policy)
