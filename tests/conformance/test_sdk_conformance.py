"""Conformance of alicr-emulator with Alibaba Cloud's official Python SDKs.

The SDKs are the judge: each test drives the emulator exactly as a user of the SDK would,
with only the endpoint (and plain HTTP) pointed at the emulator. Three signing paths are
covered: the classic SDK (RPC signature 1.0, HMAC-SHA1), the Tea SDK's default
(ACS3-HMAC-SHA256) and the Tea SDK with signature_algorithm='v2' (HMAC-SHA1).

Environment: ALICR_EMULATOR_ENDPOINT (http://127.0.0.1:PORT), and optionally
ALICR_EMULATOR_ACCESS_KEY_ID / ALICR_EMULATOR_ACCESS_KEY_SECRET / ALICR_EMULATOR_ACCOUNT_ID.
"""

import json
import os
import unittest
import urllib.request
import uuid
import xml.etree.ElementTree as ET

from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkram.request.v20150501 import (
    AttachPolicyToRoleRequest,
    CreatePolicyRequest,
    CreatePolicyVersionRequest,
    CreateRoleRequest,
    DeletePolicyRequest,
    DeleteRoleRequest,
    DetachPolicyFromRoleRequest,
    GetPolicyRequest,
    GetRoleRequest,
    ListPoliciesForRoleRequest,
    ListPolicyVersionsRequest,
    ListRolesRequest,
    ListTagResourcesRequest,
    TagResourcesRequest,
    UpdateRoleRequest,
)
from aliyunsdksts.request.v20150401 import AssumeRoleRequest, GetCallerIdentityRequest

from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as TeaRamClient
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as TeaStsClient
from alibabacloud_tea_openapi.exceptions import ClientException as TeaClientException
from alibabacloud_tea_openapi.utils_models import Config as TeaConfig

ENDPOINT = os.environ.get("ALICR_EMULATOR_ENDPOINT", "http://127.0.0.1:8080")
HOST = ENDPOINT.split("://", 1)[-1].rstrip("/")
AK = os.environ.get("ALICR_EMULATOR_ACCESS_KEY_ID", "EMULATORACCESSKEYID")
SECRET = os.environ.get("ALICR_EMULATOR_ACCESS_KEY_SECRET", "emulator-secret")
ACCOUNT = os.environ.get("ALICR_EMULATOR_ACCOUNT_ID", "1234567890123456")

TRUST_CR = json.dumps(
    {
        "Statement": [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": ["cr.aliyuncs.com"]},
            }
        ],
        "Version": "1",
    }
)
TRUST_ACCOUNT = json.dumps(
    {
        "Statement": [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"RAM": ["acs:ram::%s:root" % ACCOUNT]},
            }
        ],
        "Version": "1",
    }
)


def policy_document(*buckets):
    resources = []
    for bucket in buckets:
        resources += ["acs:oss:*:*:%s" % bucket, "acs:oss:*:*:%s/*" % bucket]
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["oss:GetObject", "oss:PutObject"],
                    "Resource": resources,
                    "Condition": {},
                },
                {
                    "Action": ["cms:QueryMetricLast", "cms:QueryMetricList"],
                    "Resource": "*",
                    "Effect": "Allow",
                },
            ],
        }
    )


def unique(prefix):
    """A fresh entity name so tests never depend on each other's leftovers."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def admin(path, body=None):
    """Calls the emulator's unsigned admin API."""
    data = None if body is None else json.dumps(body).encode()
    # The admin API takes only JSON bodies (a browser's cross-site form post must not reach it).
    headers = {} if body is None else {"Content-Type": "application/json"}
    req = urllib.request.Request(
        ENDPOINT + path, data=data, headers=headers, method="GET" if body is None else "POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


class SignatureCounter:
    """Checks, through the emulator's counters, which signature scheme a test's calls used."""

    SCHEME = None

    def setUp(self):
        self._signed_before = admin("/_emulator/calls").get("by_signature", {})

    def tearDown(self):
        after = admin("/_emulator/calls").get("by_signature", {})
        grew = {k for k, v in after.items() if v > self._signed_before.get(k, 0)}
        # Tests in one class only ever sign with that class's scheme.
        if grew:
            self.assertEqual(grew, {self.SCHEME}, "calls were signed with %s" % sorted(grew))


# --------------------------------------------------------------------------------------------
# Classic SDK: aliyun-python-sdk-core + aliyun-python-sdk-ram / -sts, HMAC-SHA1.


def classic_client(ak=AK, secret=SECRET, credential=None):
    if credential is not None:
        return AcsClient(region_id="cn-hangzhou", credential=credential, auto_retry=False)
    return AcsClient(ak, secret, "cn-hangzhou", auto_retry=False)


def classic(client, request, method="POST"):
    request.set_endpoint(HOST)
    request.set_protocol_type("http")
    request.set_method(method)
    return json.loads(client.do_action_with_exception(request))


class ClassicSdkHmacSha1(SignatureCounter, unittest.TestCase):
    SCHEME = "HMAC-SHA1"

    def setUp(self):
        super().setUp()
        self.client = classic_client()

    def create_role(self, name, trust=TRUST_CR):
        req = CreateRoleRequest.CreateRoleRequest()
        req.set_RoleName(name)
        req.set_AssumeRolePolicyDocument(trust)
        req.set_Description("created by the classic SDK")
        return classic(self.client, req)

    def test_role_policy_attachment_lifecycle(self):
        role, policy = unique("ClassicRole"), unique("ClassicPolicy")
        created = self.create_role(role)["Role"]
        self.assertEqual(created["RoleName"], role)
        self.assertEqual(created["Arn"], "acs:ram::%s:role/%s" % (ACCOUNT, role.lower()))
        self.assertEqual(created["MaxSessionDuration"], 3600)

        req = GetRoleRequest.GetRoleRequest()
        req.set_RoleName(role)
        got = classic(self.client, req, method="GET")["Role"]
        self.assertEqual(got["RoleId"], created["RoleId"])
        self.assertEqual(json.loads(got["AssumeRolePolicyDocument"]), json.loads(TRUST_CR))

        req = UpdateRoleRequest.UpdateRoleRequest()
        req.set_RoleName(role)
        req.set_NewAssumeRolePolicyDocument(TRUST_ACCOUNT)
        req.add_query_param("NewMaxSessionDuration", "7200")
        updated = classic(self.client, req)["Role"]
        self.assertEqual(updated["MaxSessionDuration"], 7200)

        req = CreatePolicyRequest.CreatePolicyRequest()
        req.set_PolicyName(policy)
        req.set_PolicyDocument(policy_document("bucket-one"))
        req.set_Description("classic")
        self.assertEqual(classic(self.client, req)["Policy"]["DefaultVersion"], "v1")

        req = AttachPolicyToRoleRequest.AttachPolicyToRoleRequest()
        req.set_PolicyType("Custom")
        req.set_PolicyName(policy)
        req.set_RoleName(role)
        classic(self.client, req)

        req = ListPoliciesForRoleRequest.ListPoliciesForRoleRequest()
        req.set_RoleName(role)
        attached = classic(self.client, req)["Policies"]["Policy"]
        self.assertEqual([p["PolicyName"] for p in attached], [policy])
        self.assertEqual(attached[0]["PolicyType"], "Custom")

        # Six versions: the sixth only fits with rotation.
        for n in range(2, 7):
            req = CreatePolicyVersionRequest.CreatePolicyVersionRequest()
            req.set_PolicyName(policy)
            req.set_PolicyDocument(policy_document("bucket-%d" % n))
            req.set_SetAsDefault("true")
            req.add_query_param("RotateStrategy", "DeleteOldestNonDefaultVersionWhenLimitExceeded")
            version = classic(self.client, req)["PolicyVersion"]
            self.assertEqual(version["VersionId"], "v%d" % n)
            self.assertTrue(version["IsDefaultVersion"])

        req = ListPolicyVersionsRequest.ListPolicyVersionsRequest()
        req.set_PolicyType("Custom")
        req.set_PolicyName(policy)
        versions = classic(self.client, req)["PolicyVersions"]["PolicyVersion"]
        self.assertEqual(len(versions), 5)
        self.assertNotIn("v1", [v["VersionId"] for v in versions])

        req = GetPolicyRequest.GetPolicyRequest()
        req.set_PolicyType("Custom")
        req.set_PolicyName(policy)
        got = classic(self.client, req)
        self.assertEqual(got["DefaultPolicyVersion"]["VersionId"], "v6")
        self.assertEqual(json.loads(got["DefaultPolicyVersion"]["PolicyDocument"]),
                         json.loads(policy_document("bucket-6")))

        req = DetachPolicyFromRoleRequest.DetachPolicyFromRoleRequest()
        req.set_PolicyType("Custom")
        req.set_PolicyName(policy)
        req.set_RoleName(role)
        classic(self.client, req)

        req = DeletePolicyRequest.DeletePolicyRequest()
        req.set_PolicyName(policy)
        req.add_query_param("CascadingDelete", "true")
        classic(self.client, req)

        req = DeleteRoleRequest.DeleteRoleRequest()
        req.set_RoleName(role)
        classic(self.client, req)

        state = admin("/_emulator/state")
        self.assertNotIn(role, [r["RoleName"] for r in state["roles"]])
        self.assertNotIn(policy, [p["PolicyName"] for p in state["policies"]])

    def test_error_codes(self):
        role = unique("ClassicDup")
        self.create_role(role)
        with self.assertRaises(ServerException) as ctx:
            self.create_role(role)
        self.assertEqual(ctx.exception.get_error_code(), "EntityAlreadyExists.Role")
        self.assertEqual(ctx.exception.get_http_status(), 409)
        self.assertTrue(ctx.exception.get_request_id())

        req = GetRoleRequest.GetRoleRequest()
        req.set_RoleName(unique("Missing"))
        with self.assertRaises(ServerException) as ctx:
            classic(self.client, req)
        self.assertEqual(ctx.exception.get_error_code(), "EntityNotExist.Role")
        self.assertEqual(ctx.exception.get_http_status(), 404)

        req = DeleteRoleRequest.DeleteRoleRequest()
        req.set_RoleName(role)
        classic(self.client, req)

    def test_tags(self):
        role = unique("ClassicTagged")
        req = CreateRoleRequest.CreateRoleRequest()
        req.set_RoleName(role)
        req.set_AssumeRolePolicyDocument(TRUST_CR)
        req.set_Tag([{"Key": "env", "Value": "prod"}])
        classic(self.client, req)

        req = TagResourcesRequest.TagResourcesRequest()
        req.set_ResourceType("role")
        req.set_ResourceNames([role])
        req.set_Tag([{"Key": "team", "Value": "registry"}])
        classic(self.client, req)

        req = ListTagResourcesRequest.ListTagResourcesRequest()
        req.set_ResourceType("role")
        req.set_ResourceNames([role])
        listed = classic(self.client, req)["TagResources"]
        self.assertEqual(
            sorted((t["ResourceName"], t["TagKey"], t["TagValue"]) for t in listed),
            [(role, "env", "prod"), (role, "team", "registry")],
        )

        req = TagResourcesRequest.TagResourcesRequest()
        req.set_ResourceType("role")
        req.set_ResourceNames([role])
        req.set_Tag([{"Key": "acs:reserved", "Value": "x"}])
        with self.assertRaises(ServerException) as ctx:
            classic(self.client, req)
        self.assertEqual(ctx.exception.get_error_code(), "InvalidParameter.Tag")

    def test_wrong_secret_is_recognised_by_the_sdk(self):
        # The SDK compares the server's string to sign with its own; when they are equal it
        # reports the secret as wrong. That only happens if the emulator canonicalises exactly
        # as the SDK does.
        req = ListRolesRequest.ListRolesRequest()
        with self.assertRaises(ServerException) as ctx:
            classic(classic_client(secret="not-the-secret"), req)
        self.assertEqual(ctx.exception.get_error_code(), "InvalidAccessKeySecret")
        self.assertEqual(ctx.exception.get_http_status(), 400)

    def test_unknown_access_key(self):
        with self.assertRaises(ServerException) as ctx:
            classic(classic_client(ak="NOSUCHACCESSKEY"), ListRolesRequest.ListRolesRequest())
        self.assertEqual(ctx.exception.get_error_code(), "InvalidAccessKeyId.NotFound")

    def test_xml_format(self):
        req = ListRolesRequest.ListRolesRequest()
        req.set_endpoint(HOST)
        req.set_protocol_type("http")
        req.set_accept_format("XML")
        status, _headers, body, _error = self.client._implementation_of_do_action(req)
        self.assertEqual(status, 200)
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "ListRolesResponse")
        self.assertIsNotNone(root.find("RequestId"))

    def test_sts_assume_role_then_ram_call(self):
        role = unique("ClassicAssumable")
        self.create_role(role, trust=TRUST_ACCOUNT)
        sts = AssumeRoleRequest.AssumeRoleRequest()
        sts.set_RoleArn("acs:ram::%s:role/%s" % (ACCOUNT, role.lower()))
        sts.set_RoleSessionName("conformance")
        sts.set_DurationSeconds(900)
        answer = classic(self.client, sts)
        creds = answer["Credentials"]
        self.assertTrue(creds["AccessKeyId"].startswith("STS."))
        self.assertTrue(answer["AssumedRoleUser"]["Arn"].endswith("/conformance"))

        temp = classic_client(credential=StsTokenCredential(
            creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]))
        self.assertIn("Roles", classic(temp, ListRolesRequest.ListRolesRequest()))
        who = classic(temp, GetCallerIdentityRequest.GetCallerIdentityRequest())
        self.assertEqual(who["IdentityType"], "AssumedRoleUser")
        self.assertEqual(who["AccountId"], ACCOUNT)


# --------------------------------------------------------------------------------------------
# Tea SDK: alibabacloud-ram20150501 / -sts20150401.


def tea_config(signature_algorithm=None, ak=AK, secret=SECRET, token=None):
    config = TeaConfig(
        access_key_id=ak,
        access_key_secret=secret,
        security_token=token,
        endpoint=HOST,
        protocol="http",
        region_id="cn-hangzhou",
    )
    if signature_algorithm:
        config.signature_algorithm = signature_algorithm
    return config


class TeaSdkBase(SignatureCounter):
    """Shared Tea SDK scenarios; subclasses choose the signature algorithm."""

    SIGNATURE_ALGORITHM = None
    PREFIX = "Tea"

    def ram(self, **kwargs):
        return TeaRamClient(tea_config(self.SIGNATURE_ALGORITHM, **kwargs))

    def sts(self, **kwargs):
        return TeaStsClient(tea_config(self.SIGNATURE_ALGORITHM, **kwargs))

    def test_role_policy_attachment_lifecycle(self):
        client = self.ram()
        role, policy = unique(self.PREFIX + "Role"), unique(self.PREFIX + "Policy")
        created = client.create_role(ram_models.CreateRoleRequest(
            role_name=role,
            assume_role_policy_document=TRUST_CR,
            description="created by the Tea SDK",
            max_session_duration=3600,
        )).body.role
        self.assertEqual(created.role_name, role)
        self.assertEqual(created.arn, "acs:ram::%s:role/%s" % (ACCOUNT, role.lower()))

        got = client.get_role(ram_models.GetRoleRequest(role_name=role)).body.role
        self.assertEqual(got.role_id, created.role_id)
        self.assertEqual(got.description, "created by the Tea SDK")

        updated = client.update_role(ram_models.UpdateRoleRequest(
            role_name=role, new_description="changed", new_max_session_duration=43200,
        )).body.role
        self.assertEqual(updated.description, "changed")
        self.assertEqual(updated.max_session_duration, 43200)

        made = client.create_policy(ram_models.CreatePolicyRequest(
            policy_name=policy, policy_document=policy_document("b-1"), description="tea",
        )).body.policy
        self.assertEqual(made.default_version, "v1")
        self.assertEqual(made.policy_type, "Custom")

        client.attach_policy_to_role(ram_models.AttachPolicyToRoleRequest(
            policy_type="Custom", policy_name=policy, role_name=role))
        listed = client.list_policies_for_role(
            ram_models.ListPoliciesForRoleRequest(role_name=role)).body.policies.policy
        self.assertEqual([(p.policy_name, p.policy_type) for p in listed], [(policy, "Custom")])

        for n in range(2, 8):
            version = client.create_policy_version(ram_models.CreatePolicyVersionRequest(
                policy_name=policy,
                policy_document=policy_document("b-%d" % n),
                set_as_default=True,
                rotate_strategy="DeleteOldestNonDefaultVersionWhenLimitExceeded",
            )).body.policy_version
            self.assertEqual(version.version_id, "v%d" % n)
            self.assertTrue(version.is_default_version)

        got = client.get_policy(ram_models.GetPolicyRequest(
            policy_type="Custom", policy_name=policy)).body
        self.assertEqual(got.policy.default_version, "v7")
        self.assertEqual(got.policy.attachment_count, 1)
        self.assertEqual(got.default_policy_version.version_id, "v7")
        self.assertEqual(json.loads(got.default_policy_version.policy_document),
                         json.loads(policy_document("b-7")))

        versions = client.list_policy_versions(ram_models.ListPolicyVersionsRequest(
            policy_type="Custom", policy_name=policy)).body.policy_versions.policy_version
        self.assertEqual([v.version_id for v in versions], ["v3", "v4", "v5", "v6", "v7"])

        entities = client.list_entities_for_policy(ram_models.ListEntitiesForPolicyRequest(
            policy_type="Custom", policy_name=policy)).body
        self.assertEqual([r.role_name for r in entities.roles.role], [role])

        roles = client.list_roles(ram_models.ListRolesRequest(max_items=1000)).body
        self.assertIn(role, [r.role_name for r in roles.roles.role])

        with self.assertRaises(TeaClientException) as ctx:
            client.delete_role(ram_models.DeleteRoleRequest(role_name=role))
        self.assertEqual(ctx.exception.code, "DeleteConflict.Role.Policy")
        self.assertEqual(ctx.exception.status_code, 409)

        client.detach_policy_from_role(ram_models.DetachPolicyFromRoleRequest(
            policy_type="Custom", policy_name=policy, role_name=role))
        client.delete_policy(ram_models.DeletePolicyRequest(policy_name=policy, cascading_delete=True))
        client.delete_role(ram_models.DeleteRoleRequest(role_name=role))

        with self.assertRaises(TeaClientException) as ctx:
            client.get_policy(ram_models.GetPolicyRequest(policy_type="Custom", policy_name=policy))
        self.assertEqual(ctx.exception.code, "EntityNotExist.Policy")
        self.assertEqual(ctx.exception.status_code, 404)

    def test_tags(self):
        client = self.ram()
        role, policy = unique(self.PREFIX + "TaggedRole"), unique(self.PREFIX + "TaggedPolicy")
        client.create_role(ram_models.CreateRoleRequest(
            role_name=role,
            assume_role_policy_document=TRUST_CR,
            tag=[ram_models.CreateRoleRequestTag(key="env", value="prod")],
        ))
        client.create_policy(ram_models.CreatePolicyRequest(
            policy_name=policy,
            policy_document=policy_document("tagged"),
            tag=[ram_models.CreatePolicyRequestTag(key="env", value="prod")],
        ))

        def tags_of(kind, name):
            body = client.list_tag_resources(ram_models.ListTagResourcesRequest(
                resource_type=kind, resource_names=[name])).body
            return {t.tag_key: t.tag_value for t in body.tag_resources if t.resource_name == name}

        self.assertEqual(tags_of("role", role), {"env": "prod"})
        self.assertEqual(tags_of("policy", policy), {"env": "prod"})

        client.tag_resources(ram_models.TagResourcesRequest(
            resource_type="policy", resource_names=[policy],
            tag=[ram_models.TagResourcesRequestTag(key="env", value="staging"),
                 ram_models.TagResourcesRequestTag(key="owner", value="ops")]))
        self.assertEqual(tags_of("policy", policy), {"env": "staging", "owner": "ops"})

        client.untag_resources(ram_models.UntagResourcesRequest(
            resource_type="policy", resource_names=[policy], tag_keys=["env"]))
        self.assertEqual(tags_of("policy", policy), {"owner": "ops"})

        with self.assertRaises(TeaClientException) as ctx:
            client.tag_resources(ram_models.TagResourcesRequest(
                resource_type="role", resource_names=["NoSuchRole"],
                tag=[ram_models.TagResourcesRequestTag(key="k", value="v")]))
        self.assertEqual(ctx.exception.code, "EntityNotExist.Role")

        too_many = [ram_models.TagResourcesRequestTag(key="k%d" % i, value="v") for i in range(21)]
        with self.assertRaises(TeaClientException) as ctx:
            client.tag_resources(ram_models.TagResourcesRequest(
                resource_type="role", resource_names=[role], tag=too_many))
        self.assertEqual(ctx.exception.code, "LimitExceeded.Tag")

        client.update_policy_description(ram_models.UpdatePolicyDescriptionRequest(
            policy_name=policy, new_description="described"))
        got = client.get_policy(ram_models.GetPolicyRequest(
            policy_type="Custom", policy_name=policy)).body.policy
        self.assertEqual(got.description, "described")

        client.delete_policy(ram_models.DeletePolicyRequest(policy_name=policy))
        client.delete_role(ram_models.DeleteRoleRequest(role_name=role))

    def test_error_codes(self):
        client = self.ram()
        role = unique(self.PREFIX + "Dup")
        request = ram_models.CreateRoleRequest(role_name=role, assume_role_policy_document=TRUST_CR)
        client.create_role(request)
        with self.assertRaises(TeaClientException) as ctx:
            client.create_role(request)
        self.assertEqual(ctx.exception.code, "EntityAlreadyExists.Role")
        self.assertEqual(ctx.exception.status_code, 409)
        self.assertTrue(ctx.exception.request_id)

        with self.assertRaises(TeaClientException) as ctx:
            client.get_role(ram_models.GetRoleRequest(role_name=unique("Missing")))
        self.assertEqual(ctx.exception.code, "EntityNotExist.Role")
        self.assertEqual(ctx.exception.status_code, 404)

        with self.assertRaises(TeaClientException) as ctx:
            client.create_policy(ram_models.CreatePolicyRequest(
                policy_name=unique("Bad"), policy_document="{not json"))
        self.assertEqual(ctx.exception.code, "MalformedPolicyDocument")

        client.delete_role(ram_models.DeleteRoleRequest(role_name=role))

    def test_wrong_secret(self):
        client = self.ram(secret="not-the-secret")
        with self.assertRaises(TeaClientException) as ctx:
            client.list_roles(ram_models.ListRolesRequest())
        self.assertEqual(ctx.exception.code, "SignatureDoesNotMatch")
        self.assertEqual(ctx.exception.status_code, 400)
        self.assertIn("server string to sign is:", ctx.exception.message)

    def test_sts_assume_role_then_ram_call(self):
        role = unique(self.PREFIX + "Assumable")
        self.ram().create_role(ram_models.CreateRoleRequest(
            role_name=role, assume_role_policy_document=TRUST_ACCOUNT))
        answer = self.sts().assume_role(sts_models.AssumeRoleRequest(
            role_arn="acs:ram::%s:role/%s" % (ACCOUNT, role.lower()),
            role_session_name="tea-conformance",
            duration_seconds=900,
        )).body
        creds = answer.credentials
        self.assertTrue(creds.access_key_id.startswith("STS."))
        self.assertTrue(answer.assumed_role_user.arn.endswith("/tea-conformance"))

        temp = self.ram(ak=creds.access_key_id, secret=creds.access_key_secret,
                        token=creds.security_token)
        made = temp.create_role(ram_models.CreateRoleRequest(
            role_name=unique(self.PREFIX + "ViaSts"), assume_role_policy_document=TRUST_CR)).body
        self.assertTrue(made.role.role_id)
        who = self.sts(ak=creds.access_key_id, secret=creds.access_key_secret,
                       token=creds.security_token).get_caller_identity().body
        self.assertEqual(who.identity_type, "AssumedRoleUser")

        forged = self.ram(ak=creds.access_key_id, secret=creds.access_key_secret, token="CAISforged")
        with self.assertRaises(TeaClientException) as ctx:
            forged.list_roles(ram_models.ListRolesRequest())
        self.assertEqual(ctx.exception.code, "InvalidSecurityToken.MismatchWithAccessKey")


class TeaSdkAcs3HmacSha256(TeaSdkBase, unittest.TestCase):
    """The Tea SDK's default: ACS3-HMAC-SHA256 in the Authorization header."""

    SIGNATURE_ALGORITHM = None
    SCHEME = "ACS3-HMAC-SHA256"
    PREFIX = "TeaV3"

    def test_default_is_acs3(self):
        # Guard against an SDK release that silently changes its default.
        from alibabacloud_tea_openapi.client import Client as OpenApiClient
        self.assertIsNone(OpenApiClient(tea_config())._signature_algorithm)
        before = admin("/_emulator/calls")["by_signature"].get("ACS3-HMAC-SHA256", 0)
        self.ram().list_roles(ram_models.ListRolesRequest())
        self.assertEqual(admin("/_emulator/calls")["by_signature"]["ACS3-HMAC-SHA256"], before + 1)


class TeaSdkHmacSha1V2(TeaSdkBase, unittest.TestCase):
    """The Tea SDK with signature_algorithm='v2': RPC signature 1.0 in query parameters."""

    SIGNATURE_ALGORITHM = "v2"
    SCHEME = "HMAC-SHA1"
    PREFIX = "TeaV2"


class EmulatorFaultsThroughSdk(unittest.TestCase):
    """Injected faults reach SDK users as the real services' codes and statuses."""

    def tearDown(self):
        admin("/_emulator/faults", {"latency_ms": 0, "throttle_rate": 0.0, "fail": []})

    def test_injected_failures(self):
        admin("/_emulator/faults", {"fail": [
            {"action": "GetRole", "code": "ServiceUnavailable", "count": 1},
            {"action": "ListRoles", "code": "Throttling.User", "count": 1},
        ]})
        client = TeaRamClient(tea_config())
        from alibabacloud_tea_openapi.exceptions import ServerException as TeaServerException
        with self.assertRaises(TeaServerException) as ctx:
            client.get_role(ram_models.GetRoleRequest(role_name="Anything"))
        self.assertEqual(ctx.exception.code, "ServiceUnavailable")
        self.assertEqual(ctx.exception.status_code, 503)
        with self.assertRaises(TeaClientException) as ctx:
            client.list_roles(ram_models.ListRolesRequest())
        self.assertEqual(ctx.exception.code, "Throttling.User")
        self.assertEqual(ctx.exception.status_code, 400)
        self.assertIn("Throttling.User", admin("/_emulator/calls")["errors_by_code"])


if __name__ == "__main__":
    unittest.main()
