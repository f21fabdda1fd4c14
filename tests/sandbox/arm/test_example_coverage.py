"""Every resource type the ARM emulator serves answers a GET carrying >= 90 % of the keys of its REST
spec's example GET response (x-ms-examples, at an api-version the emulator serves), and refuses a
request without a bearer token with 401 and an ARM error body.

Each case PUTs a realistic body over plain HTTP (the features the example shows: a geo-redundant
account with routing preference, a Premium namespace with geo replication, a workspace with
customer-managed encryption ...), follows the LRO the way an SDK poller would, GETs the resource and
measures which of the example's key paths the emulator's body has. The key paths were read from the
example files named in each case's comment (only the key names are written down here, never the
files). Path syntax: ``a.b`` nested keys, ``a[]`` "some element of the list ``a``", ``*`` "some key
of a map whose keys are user data" (user-assigned identity ids, flavour names). User-defined maps
(``tags``, ``properties.tags``, ``metadata``) count as one key: their content is the caller's.

Keys left out of a denominator are listed under ``excluded`` with the reason; they are only keys the
emulator cannot produce because they come from resources or operations it does not serve.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from modelinfra.sandbox.arm.families import FAMILIES
from modelinfra.sandbox.base import RunningService
from tests.conftest import SUBSCRIPTION_ID
from tests.sandbox.arm.conftest import ARM_AUTH

THRESHOLD = 0.90
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
PRINCIPAL = "ce2ce14e-85d7-4629-bdbc-454d0519d987"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
SPECS = "specification/"

Ids = dict[str, str]


@dataclass(frozen=True)
class Case:
    """One served type: where to PUT (relative to the subscription), what, and the example's keys."""

    name: str
    path: str  # str.format'ed with the run's ids: {rg}, {s} (a unique suffix), {sub}
    api: str
    body: Callable[[Ids], dict[str, Any]]
    example: str  # the example file the key paths were read from
    paths: tuple[str, ...]
    excluded: dict[str, str] = field(default_factory=dict)  # example key path -> why it is not counted


def rid(ids: Ids, path: str) -> str:
    """The full ARM id of ``path`` (a case path template)."""
    return f"/subscriptions/{SUBSCRIPTION_ID}" + path.format(**ids)


RG = "/resourceGroups/{rg}"
ACCOUNT = RG + "/providers/Microsoft.Storage/storageAccounts/st{s}"
DISK = RG + "/providers/Microsoft.Compute/disks/disk-{s}"
NAMESPACE = RG + "/providers/Microsoft.ServiceBus/namespaces/sb-{s}"
AFD = RG + "/providers/Microsoft.Cdn/profiles/afd-{s}"
CLASSIC = RG + "/providers/Microsoft.Cdn/profiles/cdn-{s}"
WORKSPACE = RG + "/providers/Microsoft.MachineLearningServices/workspaces/mlw-{s}"
VAULT = RG + "/providers/Microsoft.KeyVault/vaults/kv-{s}"
LAW = RG + "/providers/Microsoft.OperationalInsights/workspaces/law-{s}"
COMPONENT = RG + "/providers/Microsoft.Insights/components/appi-{s}"
REGISTRY = RG + "/providers/Microsoft.ContainerRegistry/registries/acr{s}"
UAI = RG + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-{s}"

_DISK_PATHS = (
    "id", "name", "type", "location", "tags", "properties.osType", "properties.hyperVGeneration",
    "properties.purchasePlan.name", "properties.purchasePlan.publisher", "properties.purchasePlan.product",
    "properties.supportedCapabilities.acceleratedNetwork", "properties.supportsHibernation",
    "properties.creationData.createOption", "properties.diskSizeGB", "properties.encryptionSettingsCollection.enabled",
    "properties.encryptionSettingsCollection.encryptionSettings[].diskEncryptionKey.sourceVault.id",
    "properties.encryptionSettingsCollection.encryptionSettings[].diskEncryptionKey.secretUrl",
    "properties.encryptionSettingsCollection.encryptionSettings[].keyEncryptionKey.sourceVault.id",
    "properties.encryptionSettingsCollection.encryptionSettings[].keyEncryptionKey.keyUrl",
    "properties.encryption.type", "properties.timeCreated", "properties.provisioningState",
)


def _disk_extras(ids: Ids) -> dict[str, Any]:
    vault = {"id": rid(ids, VAULT)}
    settings = {"enabled": True, "encryptionSettings": [{
        "diskEncryptionKey": {"sourceVault": vault, "secretUrl": "https://kv.vault.azure.net/secrets/disk/1"},
        "keyEncryptionKey": {"sourceVault": vault, "keyUrl": "https://kv.vault.azure.net/keys/kek/1"}}]}
    return {"osType": "Linux", "hyperVGeneration": "V2",
            "purchasePlan": {"name": "ubuntu-22_04-lts", "publisher": "canonical", "product": "ubuntu"},
            "supportedCapabilities": {"acceleratedNetwork": True}, "supportsHibernation": True,
            "encryptionSettingsCollection": settings}


CASES: tuple[Case, ...] = (
    # No x-ms-example answers ResourceGroups_Get in the 2025-04-01 specs: the keys are the ResourceGroup
    # definition's in specification/resources/resource-manager/Microsoft.Resources/resources/stable/
    # 2025-04-01/resources.json.
    Case("resource_group", RG, "2025-04-01",
         lambda ids: {"location": "westus", "tags": {"team": "ml"}},
         "resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01/resources.json#ResourceGroup",
         ("id", "name", "type", "location", "tags", "properties.provisioningState"),
         {"managedBy": "set only on groups a managed application owns; the emulator serves no managed apps"}),
    Case("storage_account", ACCOUNT, "2025-08-01",
         lambda ids: {"location": "westus", "sku": {"name": "Standard_GRS"}, "kind": "StorageV2",
                      "tags": {"team": "ml"},
                      "properties": {"isHnsEnabled": True, "supportsHttpsTrafficOnly": True,
                                     "networkAcls": {"bypass": "AzureServices", "defaultAction": "Allow",
                                                     "ipRules": [], "virtualNetworkRules": [],
                                                     "resourceAccessRules": [{
                                                         "tenantId": TENANT,
                                                         "resourceId": rid(ids, RG + "/providers/Microsoft.Synapse/"
                                                                                     "workspaces/syn-{s}")}]},
                                     "routingPreference": {"routingChoice": "MicrosoftRouting",
                                                           "publishMicrosoftEndpoints": True,
                                                           "publishInternetEndpoints": True},
                                     "geoPriorityReplicationStatus": {"isBlobEnabled": True}}},
         "storage/resource-manager/Microsoft.Storage/stable/2025-08-01/examples/StorageAccountGetProperties.json",
         ("id", "name", "type", "kind", "location", "tags", "sku.name", "sku.tier",
          "properties.accountMigrationInProgress", "properties.creationTime", "properties.encryption.keySource",
          "properties.encryption.services.blob.enabled", "properties.encryption.services.blob.keyType",
          "properties.encryption.services.blob.lastEnabledTime", "properties.encryption.services.file.enabled",
          "properties.encryption.services.file.keyType", "properties.encryption.services.file.lastEnabledTime",
          "properties.isHnsEnabled", "properties.isSkuConversionBlocked", "properties.keyCreationTime.key1",
          "properties.keyCreationTime.key2", "properties.networkAcls.bypass", "properties.networkAcls.defaultAction",
          "properties.networkAcls.ipRules", "properties.networkAcls.resourceAccessRules[].resourceId",
          "properties.networkAcls.resourceAccessRules[].tenantId", "properties.networkAcls.virtualNetworkRules",
          "properties.primaryEndpoints.blob", "properties.primaryEndpoints.dfs", "properties.primaryEndpoints.file",
          "properties.primaryEndpoints.queue", "properties.primaryEndpoints.table", "properties.primaryEndpoints.web",
          "properties.primaryEndpoints.internetEndpoints.blob", "properties.primaryEndpoints.internetEndpoints.dfs",
          "properties.primaryEndpoints.internetEndpoints.file", "properties.primaryEndpoints.internetEndpoints.web",
          "properties.primaryEndpoints.microsoftEndpoints.blob", "properties.primaryEndpoints.microsoftEndpoints.dfs",
          "properties.primaryEndpoints.microsoftEndpoints.file",
          "properties.primaryEndpoints.microsoftEndpoints.queue",
          "properties.primaryEndpoints.microsoftEndpoints.table",
          "properties.primaryEndpoints.microsoftEndpoints.web", "properties.primaryLocation",
          "properties.provisioningState", "properties.routingPreference.publishInternetEndpoints",
          "properties.routingPreference.publishMicrosoftEndpoints", "properties.routingPreference.routingChoice",
          "properties.secondaryLocation", "properties.statusOfPrimary", "properties.statusOfSecondary",
          "properties.supportsHttpsTrafficOnly", "properties.geoPriorityReplicationStatus.isBlobEnabled"),
         {"properties.geoReplicationStats.canFailover": "answered only to GET ?$expand=geoReplicationStats",
          "properties.geoReplicationStats.lastSyncTime": "answered only to GET ?$expand=geoReplicationStats",
          "properties.geoReplicationStats.status": "answered only to GET ?$expand=geoReplicationStats"}),
    Case("blob_service", ACCOUNT + "/blobServices/default", "2025-08-01",
         lambda ids: {"properties": {
             "cors": {"corsRules": [{"allowedOrigins": ["https://www.contoso.com"], "allowedMethods": ["GET", "PUT"],
                                     "maxAgeInSeconds": 100, "exposedHeaders": ["x-ms-meta-*"],
                                     "allowedHeaders": ["x-ms-meta-abc"]}]},
             "defaultServiceVersion": "2017-07-29", "deleteRetentionPolicy": {"enabled": True, "days": 30},
             "isVersioningEnabled": True, "changeFeed": {"enabled": True, "retentionInDays": 7}}},
         "storage/resource-manager/Microsoft.Storage/stable/2025-08-01/examples/BlobServicesGet.json",
         ("id", "name", "type", "sku.name", "sku.tier", "properties.cors.corsRules[].allowedOrigins",
          "properties.cors.corsRules[].allowedMethods", "properties.cors.corsRules[].maxAgeInSeconds",
          "properties.cors.corsRules[].exposedHeaders", "properties.cors.corsRules[].allowedHeaders",
          "properties.defaultServiceVersion", "properties.deleteRetentionPolicy.enabled",
          "properties.deleteRetentionPolicy.days", "properties.isVersioningEnabled", "properties.changeFeed.enabled",
          "properties.changeFeed.retentionInDays")),
    Case("blob_container", ACCOUNT + "/blobServices/default/containers/models-{s}", "2025-08-01",
         lambda ids: {"properties": {"publicAccess": "None", "metadata": {"owner": "ml"}}},
         "storage/resource-manager/Microsoft.Storage/stable/2025-08-01/examples/BlobContainersGet.json",
         ("id", "name", "type", "etag", "properties.publicAccess", "properties.leaseStatus",
          "properties.leaseState", "properties.lastModifiedTime", "properties.hasImmutabilityPolicy",
          "properties.hasLegalHold"),
         {"properties.legalHold.hasLegalHold": "the legalHold object appears once setLegalHold ran (containers "
                                               "without one answer no legalHold: BlobContainersList.json)",
          **{f"properties.immutabilityPolicy.{key}": "made by the containers/immutabilityPolicies API, not served"
             for key in ("etag", "properties.immutabilityPeriodSinceCreationInDays", "properties.state",
                         "updateHistory[].update", "updateHistory[].immutabilityPeriodSinceCreationInDays",
                         "updateHistory[].timestamp", "updateHistory[].objectIdentifier", "updateHistory[].tenantId")},
          **{f"properties.legalHold.tags[].{key}": "made by the containers' setLegalHold action, not served"
             for key in ("tag", "timestamp", "objectIdentifier", "tenantId")}}),
    Case("disk", DISK, "2025-01-02",
         lambda ids: {"location": "westus", "sku": {"name": "Premium_LRS"}, "tags": {"team": "ml"},
                      "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 64,
                                     "securityProfile": {"securityType": "TrustedLaunch"}, **_disk_extras(ids)}},
         "compute/resource-manager/Microsoft.Compute/DiskRP/stable/2025-01-02/examples/diskExamples/Disk_Get.json",
         _DISK_PATHS + ("sku.name", "properties.securityProfile.securityType"),
         {"managedBy": "set while a VM has the disk attached; the emulator serves no VMs",
          "properties.LastOwnershipUpdateTime": "changes when a VM attaches or detaches the disk (no VMs here)",
          "properties.creationData.imageReference.id": "the example disk is made FromImage from a marketplace "
                                                       "image; the emulator serves Empty, Copy and Import"}),
    Case("snapshot", RG + "/providers/Microsoft.Compute/snapshots/snap-{s}", "2025-01-02",
         lambda ids: {"location": "westus", "tags": {"team": "ml"},
                      "properties": {"creationData": {"createOption": "Copy", "sourceResourceId": rid(ids, DISK)},
                                     **_disk_extras(ids)}},
         "compute/resource-manager/Microsoft.Compute/DiskRP/stable/2025-01-02/examples/snapshotExamples/"
         "Snapshot_Get.json",
         _DISK_PATHS + ("properties.creationData.sourceResourceId", "properties.creationData.sourceUniqueId")),
    # 2024-01-01 has no namespace GET example: the keys are those of SBNameSpaceCreate.json's 200 body (the
    # same NamespaceResource GET answers).
    Case("servicebus_namespace", NAMESPACE, "2024-01-01",
         lambda ids: {"location": "westus", "sku": {"name": "Premium", "tier": "Premium", "capacity": 4},
                      "tags": {"team": "ml"},
                      "properties": {"premiumMessagingPartitions": 2, "geoDataReplication": {
                          "maxReplicationLagDurationInSeconds": 300,
                          "locations": [{"locationName": "westus", "roleType": "Primary"},
                                        {"locationName": "eastus", "roleType": "Secondary"}]}}},
         "servicebus/resource-manager/Microsoft.ServiceBus/stable/2024-01-01/examples/NameSpaces/"
         "SBNameSpaceCreate.json",
         ("id", "name", "type", "location", "tags", "sku.name", "sku.tier", "sku.capacity",
          "properties.geoDataReplication.maxReplicationLagDurationInSeconds",
          "properties.geoDataReplication.locations[].locationName",
          "properties.geoDataReplication.locations[].roleType",
          "properties.provisioningState", "properties.metricId", "properties.createdAt", "properties.updatedAt",
          "properties.serviceBusEndpoint", "properties.minimumTlsVersion", "properties.premiumMessagingPartitions")),
    Case("servicebus_rule", NAMESPACE + "/AuthorizationRules/listen-send", "2024-01-01",
         lambda ids: {"properties": {"rights": ["Listen", "Send"]}},
         "servicebus/resource-manager/Microsoft.ServiceBus/stable/2024-01-01/examples/NameSpaces/"
         "SBNameSpaceAuthorizationRuleGet.json",
         ("id", "name", "type", "properties.rights")),
    Case("servicebus_queue", NAMESPACE + "/queues/jobs", "2024-01-01",
         lambda ids: {"properties": {"maxSizeInMegabytes": 2048, "lockDuration": "PT1M", "maxDeliveryCount": 10}},
         "servicebus/resource-manager/Microsoft.ServiceBus/stable/2024-01-01/examples/Queues/SBQueueGet.json",
         ("id", "name", "type") + tuple(f"properties.{key}" for key in (
             "accessedAt", "autoDeleteOnIdle", "createdAt", "defaultMessageTimeToLive",
             "duplicateDetectionHistoryTimeWindow", "enableExpress", "enablePartitioning", "lockDuration",
             "maxDeliveryCount", "maxMessageSizeInKilobytes", "maxSizeInMegabytes", "messageCount",
             "requiresDuplicateDetection", "requiresSession", "sizeInBytes", "status", "updatedAt"))),
    Case("cdn_profile", AFD, "2025-06-01",
         lambda ids: {"location": "global", "sku": {"name": "Premium_AzureFrontDoor"}, "tags": {},
                      "properties": {"originResponseTimeoutSeconds": 30,
                                     "logScrubbing": {"state": "Enabled", "scrubbingRules": []}}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/Profiles_Get.json",
         ("id", "name", "type", "tags", "location", "sku.name", "kind", "properties.originResponseTimeoutSeconds",
          "properties.logScrubbing.state", "properties.logScrubbing.scrubbingRules", "properties.frontDoorId",
          "properties.provisioningState", "properties.resourceState")),
    Case("afd_endpoint", AFD + "/afdEndpoints/ep-{s}", "2025-06-01",
         lambda ids: {"location": "global", "tags": {}, "properties": {"enabledState": "Enabled"}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/AFDEndpoints_Get.json",
         ("id", "name", "type", "tags", "location", "properties.hostName", "properties.enabledState",
          "properties.provisioningState", "properties.deploymentStatus",
          "properties.autoGeneratedDomainNameLabelScope")),
    Case("afd_origin_group", AFD + "/originGroups/og1", "2025-06-01",
         lambda ids: {"properties": {
             "loadBalancingSettings": {"sampleSize": 3, "successfulSamplesRequired": 3,
                                       "additionalLatencyInMilliseconds": 1000},
             "healthProbeSettings": {"probePath": "/health", "probeRequestType": "HEAD", "probeProtocol": "Https",
                                     "probeIntervalInSeconds": 100},
             "trafficRestorationTimeToHealedOrNewEndpointsInMinutes": 5, "sessionAffinityState": "Disabled"}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/AFDOriginGroups_Get.json",
         ("id", "name", "type", "properties.loadBalancingSettings.sampleSize",
          "properties.loadBalancingSettings.successfulSamplesRequired",
          "properties.loadBalancingSettings.additionalLatencyInMilliseconds",
          "properties.healthProbeSettings.probePath", "properties.healthProbeSettings.probeRequestType",
          "properties.healthProbeSettings.probeProtocol", "properties.healthProbeSettings.probeIntervalInSeconds",
          "properties.trafficRestorationTimeToHealedOrNewEndpointsInMinutes", "properties.provisioningState",
          "properties.deploymentStatus")),
    Case("afd_origin", AFD + "/originGroups/og1/origins/web", "2025-06-01",
         lambda ids: {"properties": {"hostName": "st{s}.z13.web.core.windows.net".format(**ids),
                                     "originHostHeader": "st{s}.z13.web.core.windows.net".format(**ids),
                                     "httpPort": 80, "httpsPort": 443, "priority": 1, "weight": 1000,
                                     "enabledState": "Enabled", "enforceCertificateNameCheck": True}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/AFDOrigins_Get.json",
         ("id", "name", "type") + tuple(f"properties.{key}" for key in (
             "hostName", "httpPort", "httpsPort", "originHostHeader", "priority", "weight", "enabledState",
             "provisioningState", "deploymentStatus", "originGroupName", "sharedPrivateLinkResource",
             "enforceCertificateNameCheck"))),
    Case("afd_route", AFD + "/afdEndpoints/ep-{s}/routes/default", "2025-06-01",
         lambda ids: {"properties": {
             "originGroup": {"id": rid(ids, AFD + "/originGroups/og1")}, "supportedProtocols": ["Https", "Http"],
             "patternsToMatch": ["/*"], "forwardingProtocol": "MatchRequest", "linkToDefaultDomain": "Enabled",
             "httpsRedirect": "Enabled", "enabledState": "Enabled",
             "cacheConfiguration": {"queryStringCachingBehavior": "IgnoreQueryString", "queryParameters": None,
                                    "compressionSettings": {"isCompressionEnabled": True,
                                                            "contentTypesToCompress": ["text/html"]}}}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/Routes_Get.json",
         ("id", "name", "type", "properties.originGroup.id", "properties.originPath",
          "properties.supportedProtocols", "properties.patternsToMatch",
          "properties.cacheConfiguration.compressionSettings.contentTypesToCompress",
          "properties.cacheConfiguration.compressionSettings.isCompressionEnabled",
          "properties.cacheConfiguration.queryStringCachingBehavior", "properties.cacheConfiguration.queryParameters",
          "properties.forwardingProtocol", "properties.linkToDefaultDomain", "properties.httpsRedirect",
          "properties.enabledState", "properties.provisioningState", "properties.deploymentStatus",
          # the example's customDomains[].id and ruleSets[].id name customDomains and ruleSets resources, which
          # the emulator does not serve: counted as the (empty) lists themselves
          "properties.customDomains", "properties.ruleSets")),
    Case("afd_custom_domain", AFD + "/customDomains/www-{s}", "2025-06-01",
         lambda ids: {"properties": {"hostName": "www-{s}.contoso.com".format(**ids),
                                     "tlsSettings": {"certificateType": "ManagedCertificate",
                                                     "minimumTlsVersion": "TLS12"},
                                     "azureDnsZone": {"id": ""}}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/AFDCustomDomains_Get.json",
         ("id", "name", "type") + tuple(f"properties.{key}" for key in (
             "profileName", "hostName", "tlsSettings.certificateType", "tlsSettings.minimumTlsVersion",
             "tlsSettings.secret.id", "azureDnsZone.id", "preValidatedCustomDomainResourceId.id",
             "validationProperties.validationToken", "validationProperties.expirationDate",
             "domainValidationState", "provisioningState", "deploymentStatus")),
         {"properties.tlsSettings.cipherSuiteSetType": "customized cipher suites are not modelled",
          "properties.tlsSettings.customizedCipherSuiteSet": "customized cipher suites are not modelled"}),
    Case("cdn_profile_classic", CLASSIC, "2025-06-01",
         lambda ids: {"location": "global", "sku": {"name": "Standard_Microsoft"}, "tags": {}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/Profiles_Get.json",
         ("id", "name", "type", "tags", "location", "sku.name", "kind", "properties.provisioningState",
          "properties.resourceState"),
         {key: "Front Door only: the example is a Premium_AzureFrontDoor profile, this one a classic CDN's"
          for key in ("properties.originResponseTimeoutSeconds", "properties.logScrubbing.state",
                      "properties.logScrubbing.scrubbingRules", "properties.frontDoorId")}),
    Case("cdn_endpoint", CLASSIC + "/endpoints/ep-{s}", "2025-06-01",
         lambda ids: {"location": "westus", "tags": {}, "properties": {
             "originHostHeader": "www.contoso.com", "isHttpAllowed": True, "isHttpsAllowed": True,
             "queryStringCachingBehavior": "NotSet", "optimizationType": "GeneralWebDelivery", "probePath": "/health",
             "origins": [{"name": "www-contoso-com", "properties": {
                 "hostName": "www.contoso.com", "httpPort": 80, "httpsPort": 443,
                 "originHostHeader": "www.contoso.com", "priority": 1, "weight": 50, "enabled": True}}],
             "originGroups": [{"name": "og1", "properties": {
                 "healthProbeSettings": {"probePath": "/health", "probeRequestType": "GET", "probeProtocol": "Http",
                                         "probeIntervalInSeconds": 120},
                 "origins": [{"id": rid(ids, CLASSIC + "/endpoints/ep-{s}/origins/www-contoso-com")}]}}],
             "defaultOriginGroup": {"id": rid(ids, CLASSIC + "/endpoints/ep-{s}/originGroups/og1")}}},
         "cdn/resource-manager/Microsoft.Cdn/stable/2025-06-01/examples/Endpoints_Get.json",
         ("id", "name", "type", "tags", "location") + tuple(f"properties.{key}" for key in (
             "hostName", "originHostHeader", "provisioningState", "resourceState", "isHttpAllowed", "isHttpsAllowed",
             "queryStringCachingBehavior", "originPath", "origins[].name", "origins[].properties.hostName",
             "origins[].properties.httpPort", "origins[].properties.httpsPort",
             "origins[].properties.originHostHeader", "origins[].properties.priority", "origins[].properties.weight",
             "origins[].properties.enabled", "originGroups[].name",
             "originGroups[].properties.healthProbeSettings.probePath",
             "originGroups[].properties.healthProbeSettings.probeRequestType",
             "originGroups[].properties.healthProbeSettings.probeProtocol",
             "originGroups[].properties.healthProbeSettings.probeIntervalInSeconds",
             "originGroups[].properties.origins[].id", "contentTypesToCompress", "isCompressionEnabled",
             "optimizationType", "probePath", "geoFilters", "defaultOriginGroup.id")),
         {f"properties.customDomains[].{key}": "made by the endpoints/customDomains API, not served"
          for key in ("name", "properties.hostName", "properties.validationData")}),
    Case("log_analytics_workspace", LAW, "2023-09-01",
         lambda ids: {"location": "westus", "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}},
         "operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2023-09-01/examples/"
         "WorkspacesGet.json",
         ("id", "name", "type", "location", "properties.customerId", "properties.provisioningState",
          "properties.sku.name", "properties.retentionInDays", "properties.publicNetworkAccessForQuery",
          "properties.publicNetworkAccessForIngestion")),
    Case("application_insights", COMPONENT, "2020-02-02",
         lambda ids: {"location": "westus", "kind": "web", "tags": {},
                      "properties": {"Application_Type": "web", "SamplingPercentage": 100.0,
                                     "WorkspaceResourceId": rid(ids, LAW)}},
         "applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/examples/ComponentsGet.json",
         ("id", "name", "type", "location", "tags", "kind") + tuple(f"properties.{key}" for key in (
             "ApplicationId", "AppId", "Application_Type", "Flow_Type", "Request_Source", "InstrumentationKey",
             "CreationDate", "TenantId", "HockeyAppId", "HockeyAppToken", "provisioningState", "SamplingPercentage",
             "WorkspaceResourceId", "ConnectionString", "DisableIpMasking", "publicNetworkAccessForQuery",
             "publicNetworkAccessForIngestion", "IngestionMode")),
         {"properties.LinkedStorages.ServiceProfilerLinkedStorage":
          "made by the components/linkedStorageAccounts API, not served"}),
    Case("key_vault", VAULT, "2023-07-01",
         lambda ids: {"location": "westus", "tags": {}, "properties": {
             "tenantId": TENANT, "sku": {"family": "A", "name": "standard"}, "enabledForDeployment": True,
             "enabledForDiskEncryption": True, "enabledForTemplateDeployment": True,
             "accessPolicies": [{"tenantId": TENANT, "objectId": PRINCIPAL, "permissions": {
                 "keys": ["get", "wrapKey", "unwrapKey"], "secrets": ["get", "list"], "certificates": ["get"]}}]}},
         "keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/examples/getVault.json",
         ("id", "name", "type", "location", "tags", "systemData.createdBy", "systemData.createdByType",
          "systemData.createdAt", "systemData.lastModifiedBy", "systemData.lastModifiedByType",
          "systemData.lastModifiedAt") + tuple(f"properties.{key}" for key in (
             "sku.family", "sku.name", "tenantId", "accessPolicies[].tenantId", "accessPolicies[].objectId",
             "accessPolicies[].permissions.keys", "accessPolicies[].permissions.secrets",
             "accessPolicies[].permissions.certificates", "enabledForDeployment", "enabledForDiskEncryption",
             "enabledForTemplateDeployment", "hsmPoolResourceId", "vaultUri", "provisioningState",
             "publicNetworkAccess"))),
    Case("container_registry", REGISTRY, "2023-07-01",
         lambda ids: {"location": "westus", "sku": {"name": "Standard"}, "tags": {"team": "ml"},
                      "properties": {"adminUserEnabled": False}},
         "containerregistry/resource-manager/Microsoft.ContainerRegistry/stable/2023-07-01/examples/RegistryGet.json",
         ("id", "name", "type", "location", "tags", "sku.name", "sku.tier") + tuple(f"properties.{key}" for key in (
             "loginServer", "creationDate", "provisioningState", "adminUserEnabled", "networkRuleSet.defaultAction",
             "networkRuleSet.ipRules", "policies.quarantinePolicy.status", "policies.trustPolicy.type",
             "policies.trustPolicy.status", "policies.retentionPolicy.days",
             "policies.retentionPolicy.lastUpdatedTime", "policies.retentionPolicy.status",
             "policies.exportPolicy.status", "encryption.status", "status", "dataEndpointEnabled",
             "dataEndpointHostNames", "privateEndpointConnections", "publicNetworkAccess", "networkRuleBypassOptions",
             "zoneRedundancy"))),
    Case("ml_workspace", WORKSPACE, "2025-12-01",
         lambda ids: {"location": "westus", "identity": {"type": "SystemAssigned,UserAssigned",
                                                         "userAssignedIdentities": {rid(ids, UAI): {}}},
                      "properties": {
                          "description": "training workspace", "friendlyName": "Training", "hbiWorkspace": False,
                          "allowPublicAccessWhenBehindVnet": False, "publicNetworkAccess": "Disabled",
                          "imageBuildCompute": "cpu-cluster", "storageAccount": rid(ids, ACCOUNT),
                          "keyVault": rid(ids, VAULT), "applicationInsights": rid(ids, COMPONENT),
                          "containerRegistry": rid(ids, REGISTRY),
                          "encryption": {"status": "Enabled", "identity": {"userAssignedIdentity": rid(ids, UAI)},
                                         "keyVaultProperties": {
                                             "keyVaultArmId": rid(ids, VAULT), "identityClientId": "",
                                             "keyIdentifier": f"https://kv-{ids['s']}.vault.azure.net/keys/cmk/1"}},
                          "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": {
                              "pypi": {"type": "FQDN", "destination": "pypi.org"}}},
                          "sharedPrivateLinkResources": [{"name": "blob", "properties": {
                              "groupId": "blob", "privateLinkResourceId": rid(ids, ACCOUNT),
                              "requestMessage": "Please approve", "status": "Approved"}}]}},
         "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples/"
         "Workspace/get.json",
         ("id", "name", "type", "location", "identity.type", "identity.principalId", "identity.tenantId",
          "identity.userAssignedIdentities.*.clientId", "identity.userAssignedIdentities.*.principalId")
         + tuple(f"properties.{key}" for key in (
             "description", "allowPublicAccessWhenBehindVnet", "applicationInsights", "containerRegistry",
             "discoveryUrl", "encryption.identity.userAssignedIdentity",
             "encryption.keyVaultProperties.identityClientId",
             "encryption.keyVaultProperties.keyIdentifier", "encryption.keyVaultProperties.keyVaultArmId",
             "encryption.status", "friendlyName", "hbiWorkspace", "imageBuildCompute", "keyVault",
             "managedNetwork.isolationMode", "managedNetwork.networkId", "managedNetwork.outboundRules.*.type",
             "managedNetwork.outboundRules.*.category", "managedNetwork.outboundRules.*.destination",
             "managedNetwork.outboundRules.*.status", "managedNetwork.status.sparkReady",
             "managedNetwork.status.status",
             # the example's privateEndpointConnections[] entries are made by Microsoft.Network private
             # endpoints, which the emulator does not serve: counted as the (empty) list itself
             "privateEndpointConnections", "privateLinkCount", "publicNetworkAccess",
             "serviceProvisionedResourceGroup", "sharedPrivateLinkResources[].name",
             "sharedPrivateLinkResources[].properties.groupId",
             "sharedPrivateLinkResources[].properties.privateLinkResourceId",
             "sharedPrivateLinkResources[].properties.requestMessage",
             "sharedPrivateLinkResources[].properties.status", "storageAccount"))),
    Case("ml_model_container", WORKSPACE + "/models/classifier", "2025-12-01",
         lambda ids: {"properties": {"description": "Churn classifier", "tags": {"stage": "dev"}}},
         "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples/"
         "Workspace/ModelContainer/get.json",
         ("id", "name", "type", "properties.description", "properties.tags", "systemData.createdAt",
          "systemData.createdBy", "systemData.createdByType", "systemData.lastModifiedAt", "systemData.lastModifiedBy",
          "systemData.lastModifiedByType")),
    Case("ml_model_version", WORKSPACE + "/models/classifier/versions/1", "2025-12-01",
         lambda ids: {"properties": {
             "description": "first cut", "tags": {"stage": "dev"}, "properties": {"framework": "sklearn"},
             "modelType": "MLFlowModel", "modelUri": "azureml://datastores/workspaceblobstore/paths/models/churn/1",
             "flavors": {"python_function": {"data": {"loader_module": "mlflow.sklearn"}}}}},
         "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples/"
         "Workspace/ModelVersion/get.json",
         ("id", "name", "type", "properties.description", "properties.tags", "properties.properties",
          "properties.isAnonymous", "properties.flavors.*.data", "properties.modelType", "properties.modelUri",
          "systemData.createdAt", "systemData.createdBy", "systemData.createdByType", "systemData.lastModifiedAt",
          "systemData.lastModifiedBy", "systemData.lastModifiedByType")),
    Case("role_assignment", RG + "/providers/Microsoft.Authorization/roleAssignments/{ra}", "2022-04-01",
         lambda ids: {"properties": {"principalId": PRINCIPAL, "principalType": "User",
                                     "roleDefinitionId": f"/subscriptions/{SUBSCRIPTION_ID}/providers/"
                                                         f"Microsoft.Authorization/roleDefinitions/{READER}"}},
         "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/examples/RoleAssignments_Get.json",
         ("id", "name", "type", "properties.roleDefinitionId", "properties.principalId", "properties.principalType",
          "properties.scope")),
)


# -- measuring ---------------------------------------------------------------------------------------
def has_path(node: Any, segments: list[str]) -> bool:
    """Whether ``node`` has the key path ``segments`` (see the module docstring for ``[]`` and ``*``)."""
    if not segments:
        return True
    head, rest = segments[0], segments[1:]
    if not isinstance(node, dict):
        return False
    if head == "*":
        return any(has_path(value, rest) for value in node.values())
    if head.endswith("[]"):
        items = node.get(head[:-2])
        return isinstance(items, list) and any(has_path(item, rest) for item in items)
    return head in node and has_path(node[head], rest)


def missing_paths(body: dict[str, Any], paths: tuple[str, ...]) -> list[str]:
    return [path for path in paths if not has_path(body, path.split("."))]


def test_has_path_reads_lists_maps_and_nulls() -> None:
    body = {"a": {"b": None, "l": [{}, {"x": 1}], "m": {"user-key": {"y": 2}}}}
    assert has_path(body, ["a", "b"]) and has_path(body, ["a", "l[]", "x"]) and has_path(body, ["a", "m", "*", "y"])
    assert not has_path(body, ["a", "c"]) and not has_path(body, ["a", "l[]", "z"])
    assert not has_path(body, ["a", "b", "c"]) and not has_path(body, ["a", "m", "*", "z"])


# -- serving the cases -------------------------------------------------------------------------------
def _call(method: str, url: str, api: str | None, **kwargs: Any) -> requests.Response:
    params = {"api-version": api} if api else None
    return requests.request(method, url, params=params, headers=ARM_AUTH, timeout=10, **kwargs)


def write_and_get(url: str, api: str, body: dict[str, Any], method: str = "PUT") -> dict[str, Any]:
    """PUT (or PATCH) ``body``, follow the LRO as an SDK poller does, then GET the resource (200 expected)."""
    put = _call(method, url, api, json=body)
    assert put.status_code in (200, 201, 202), f"{method} {url}: {put.status_code} {put.text}"
    monitor = put.headers.get("Azure-AsyncOperation") or (put.headers.get("Location") if put.status_code == 202
                                                            else None)
    if monitor is not None:
        for _ in range(10):
            status = requests.get(monitor, headers=ARM_AUTH, timeout=10)
            if status.status_code == 200 and (status.json() or {}).get("status", "Succeeded") != "InProgress":
                break
        else:
            raise AssertionError(f"{method} {url}: the operation did not complete in 10 polls")
    got = _call("GET", url, api)
    assert got.status_code == 200, f"GET {url}: {got.status_code} {got.text}"
    return got.json()


def new_ids() -> Ids:
    """Fresh names for the case path templates: a group, a suffix for global names, a GUID."""
    return {"rg": f"rg-cov-{uuid.uuid4().hex[:8]}", "s": uuid.uuid4().hex[:10], "ra": str(uuid.uuid4())}


@pytest.fixture(scope="module")
def served(arm: RunningService) -> Iterator[dict[str, Any]]:
    """Every case PUT in order (later cases reference earlier resources) into one fresh group:
    case name -> its GET body, or the error that stopped it."""
    ids, base = new_ids(), f"{arm.url}/subscriptions/{SUBSCRIPTION_ID}"
    bodies: dict[str, Any] = {}
    for case in CASES:
        try:
            bodies[case.name] = write_and_get(base + case.path.format(**ids), case.api, case.body(ids))
        except AssertionError as exc:
            bodies[case.name] = exc
    yield bodies
    _call("DELETE", base + RG.format(**ids), "2025-04-01")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_get_carries_the_keys_of_the_spec_example(served: dict[str, Any], case: Case) -> None:
    body = served[case.name]
    if isinstance(body, AssertionError):
        raise body
    assert not set(case.paths) & set(case.excluded), "a path is both counted and excluded"
    missing = missing_paths(body, case.paths)
    coverage = 1 - len(missing) / len(case.paths)
    print(f"{case.name}: {coverage:.0%} of {len(case.paths)} example keys")
    assert coverage >= THRESHOLD, (f"{case.name} answers {coverage:.0%} of the keys of {SPECS}{case.example}; "
                                   f"missing: {', '.join(missing)}")


# -- the computed keys keep their meaning ------------------------------------------------------------
def _case(name: str) -> Case:
    return next(case for case in CASES if case.name == name)


@pytest.fixture
def fresh(arm: RunningService) -> Iterator[tuple[str, Ids]]:
    """A fresh resource group: (subscription URL, ids for the case path templates)."""
    ids, base = new_ids(), f"{arm.url}/subscriptions/{SUBSCRIPTION_ID}"
    write_and_get(base + RG.format(**ids), "2025-04-01", {"location": "westus"})
    yield base, ids
    _call("DELETE", base + RG.format(**ids), "2025-04-01")


def test_storage_secondary_region_and_routed_endpoints_follow_sku_and_routing(fresh: tuple[str, Ids]) -> None:
    base, ids = fresh
    case, url = _case("storage_account"), base + ACCOUNT.format(**ids)
    props = write_and_get(url, case.api, case.body(ids))["properties"]
    assert (props["secondaryLocation"], props["statusOfSecondary"]) == ("eastus", "available")
    routed = props["primaryEndpoints"]["microsoftEndpoints"]["blob"]
    assert routed == f"https://st{ids['s']}-microsoftrouting.blob.core.windows.net/"
    assert props["encryption"]["services"]["blob"]["lastEnabledTime"] == props["creationTime"]
    local = write_and_get(url, case.api, {"sku": {"name": "Standard_LRS"},
                                          "properties": {"routingPreference": {"publishMicrosoftEndpoints": False}}},
                          method="PATCH")["properties"]
    assert "secondaryLocation" not in local and "statusOfSecondary" not in local
    assert "microsoftEndpoints" not in local["primaryEndpoints"] and "internetEndpoints" in local["primaryEndpoints"]


def test_identity_ids_and_system_data_survive_a_replacing_put(fresh: tuple[str, Ids]) -> None:
    base, ids = fresh
    for name in ("storage_account", "log_analytics_workspace", "application_insights", "key_vault",
                 "container_registry"):
        case = _case(name)
        write_and_get(base + case.path.format(**ids), case.api, case.body(ids))
    workspace, vault = _case("ml_workspace"), _case("key_vault")
    first = write_and_get(base + WORKSPACE.format(**ids), workspace.api, workspace.body(ids))
    again = write_and_get(base + WORKSPACE.format(**ids), workspace.api, workspace.body(ids))
    assert first["identity"] == again["identity"] and first["identity"]["tenantId"] == TENANT
    assert first["identity"]["principalId"] != next(iter(first["identity"]["userAssignedIdentities"].values()))[
        "principalId"]
    assert again["properties"]["managedNetwork"]["status"] == {"status": "Active", "sparkReady": False}
    vault_url = base + VAULT.format(**ids)
    before = write_and_get(vault_url, vault.api, vault.body(ids))["systemData"]
    after = write_and_get(vault_url, vault.api, vault.body(ids))["systemData"]
    assert after["createdAt"] == before["createdAt"] and after["lastModifiedAt"] >= before["lastModifiedAt"]


def test_registry_network_rules_and_retention_stamp(fresh: tuple[str, Ids]) -> None:
    base, ids = fresh
    case, url = _case("container_registry"), base + REGISTRY.format(**ids)
    first = write_and_get(url, case.api, case.body(ids))["properties"]
    assert first["networkRuleSet"] == {"defaultAction": "Allow", "ipRules": []}
    again = write_and_get(url, case.api, case.body(ids))["properties"]
    stamp = first["policies"]["retentionPolicy"]["lastUpdatedTime"]
    assert again["policies"]["retentionPolicy"]["lastUpdatedTime"] == stamp
    longer = {**case.body(ids), "properties": {"policies": {"retentionPolicy": {"days": 30, "status": "enabled"}}}}
    changed = write_and_get(url, case.api, longer)["properties"]["policies"]["retentionPolicy"]
    assert changed["days"] == 30 and changed["lastUpdatedTime"] > stamp
    deny = {**case.body(ids), "properties": {"networkRuleSet": {"defaultAction": "Deny", "ipRules": []}}}
    refused = _call("PUT", url, case.api, json=deny)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "NetworkRuleSetNotSupported"


# -- 401 without a bearer token, for every type of every family ---------------------------------------
def _sample_path(template: str) -> str:
    """``template`` with every ``{param}`` filled by a plausible segment."""
    parts = [("x" + str(i)) if part.startswith("{") else part for i, part in enumerate(template.split("/"))]
    return "/".join(parts)


TYPES = [(family.name, rtype) for family in FAMILIES for rtype in family.types]


@pytest.mark.parametrize("family, rtype", TYPES,
                         ids=[f"{name}:{rtype.path.rsplit('/', 2)[-2]}" for name, rtype in TYPES])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}], ids=["no-header", "basic"])
def test_every_type_refuses_a_request_without_a_bearer_token(arm: RunningService, family: str, rtype: Any,
                                                             headers: dict[str, str]) -> None:
    url = f"{arm.url}/subscriptions/{SUBSCRIPTION_ID}/{_sample_path(rtype.path)}"
    params = {"api-version": rtype.api_versions[0]} if rtype.api_versions else {}
    for method in ("GET", "PUT", "DELETE"):
        answer = requests.request(method, url, params=params, headers=headers, json={} if method == "PUT" else None,
                                  timeout=10)
        assert answer.status_code == 401, f"{method} {rtype.type}: {answer.status_code}"
        error = answer.json()["error"]
        assert error["code"] in ("AuthenticationFailed", "InvalidAuthenticationToken") and error["message"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer ")
    with_token = requests.get(url, params=params, headers=ARM_AUTH, timeout=10)
    assert with_token.status_code != 401
