"""The local AWS for bridge: moto server on loopback, with its corrections.

Usage: python3 scripts/local-aws.py --port PORT   (always binds 127.0.0.1)

The correction (see docs/local-aws.md): moto evaluates a bucket policy for every object request
with no request context, so every Condition counts as met. The standard TLS-only statement
(Deny when aws:SecureTransport is false) then denies every read and write, although on AWS it only
stops plain-HTTP requests. Here a statement carrying a Condition is left out of the bucket's
verdict, as it would not apply to a TLS request on AWS. Unconditional statements are still
evaluated. IAM (identity policy) evaluation is untouched.

The second: IAM's ListServiceSpecificCredentials, which moto lacks, answers the empty list (moto
never makes such credentials), so teardown need not wait out the SDK's retries of a 500.

The third: DescribeLogGroups honours logGroupIdentifiers (exact names), which moto 5.2.1 ignores
(it answers every group of the account). AWS answers only the groups named, and refuses the
parameter beside logGroupNamePrefix or logGroupNamePattern.

The fourth: Lambda's PutFunctionEventInvokeConfig replaces the function's configuration, as AWS
does; moto 5.2.1 appends a second one and keeps answering the first, so a repaired failure
destination would never show.

The fifth: API Gateway's UpdateMethod, which moto 5.2.1 lacks (a 500), for the two fields of a
method's access (/authorizationType, /apiKeyRequired), as AWS applies them: bridge adopt retires a
hand-built stack's open method with it, where deleting and re-putting the method would lose its
settings.

GET /bridge-local/correction answers 200 "on" so tests can prove the correction is in effect.
"""
import argparse
import json
import sys


def apply_bucket_policy_correction() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):  # same signature as moto 5.2.1's
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        unconditional = [s for s in statements if not s.get("Condition")]
        if not unconditional:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": unconditional})).is_action_permitted(
            action, resource
        )

    FakeBucket.get_permission = get_permission
    FakeBucket.bridge_correction = True


def add_marker_route() -> None:
    # A tiny WSGI wrapper: the marker answers only when the correction above is installed.
    from moto import server
    from moto.s3.models import FakeBucket

    original = server.DomainDispatcherApplication.__call__

    def call(self, environ, start_response):
        if environ.get("PATH_INFO") == "/bridge-local/correction":
            state = b"on" if getattr(FakeBucket, "bridge_correction", False) else b"off"
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [state]
        return original(self, environ, start_response)

    server.DomainDispatcherApplication.__call__ = call


def add_service_specific_credentials() -> None:
    # moto 5.2.1 does not implement IAM's ListServiceSpecificCredentials (a 500 page, which the
    # SDK retries for seconds). moto never creates such credentials, so IAM's answer for every
    # user here is the empty list: give it, as IAM would.
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "list_service_specific_credentials"):
        return

    def list_service_specific_credentials(self):
        self.backend.get_user(self._get_param("UserName"))  # NoSuchEntity for an unknown user, as IAM
        return ActionResult({"ServiceSpecificCredentials": []})

    IamResponse.list_service_specific_credentials = list_service_specific_credentials


def add_log_group_identifiers() -> None:
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.responses import LogsResponse

    original = LogsResponse.describe_log_groups

    def describe_log_groups(self):
        identifiers = self._get_param("logGroupIdentifiers")
        if identifiers is None:
            return original(self)
        if self._get_param("logGroupNamePrefix") or self._get_param("logGroupNamePattern"):
            raise InvalidParameterException(
                msg="LogGroupIdentifiers is mutually exclusive with LogGroupNamePrefix and LogGroupNamePattern"
            )
        if not 1 <= len(identifiers) <= 50:
            raise InvalidParameterException(
                constraint="Member must have length less than or equal to 50",
                parameter="logGroupIdentifiers",
                value=identifiers,
            )
        # Names: outside a cross-account monitoring account AWS takes only names (an ARN matches none).
        wanted = set(identifiers)
        groups = [g for g in self.logs_backend.groups.values() if g.name in wanted]
        return json.dumps({"logGroups": [g.to_describe_dict() for g in sorted(groups, key=lambda g: g.name)]})

    LogsResponse.describe_log_groups = describe_log_groups


def replace_event_invoke_config() -> None:
    # AWS: Put overwrites the function's asynchronous configuration. moto 5.2.1 appends to a list
    # and GetFunctionEventInvokeConfig answers its first entry, so a second Put is never seen.
    from moto.awslambda.models import EventInvokeConfig, LambdaBackend

    def put_function_event_invoke_config(self, function_name, config):
        fn = self.get_function(function_name)
        event_config = EventInvokeConfig(fn.function_arn, fn.last_modified, config)
        fn.event_invoke_config = [event_config]
        return event_config.response()

    LambdaBackend.put_function_event_invoke_config = put_function_event_invoke_config


def add_update_method() -> None:
    # AWS: UpdateMethod applies patch operations to a method. moto 5.2.1 has no handler (500).
    from moto.apigateway.responses import APIGatewayResponse

    if hasattr(APIGatewayResponse, "update_method"):
        return

    def update_method(self):
        parts = self.path.split("/")
        method = self.backend.get_method(parts[2], parts[4], parts[6])
        for op in self._get_param("patchOperations") or []:
            if op.get("op") != "replace":
                continue
            if op.get("path") == "/authorizationType":
                method.authorization_type = op.get("value")
            elif op.get("path") == "/apiKeyRequired":
                method.api_key_required = str(op.get("value")).lower() == "true"
        return json.dumps(method.to_json())

    APIGatewayResponse.update_method = update_method


def warm_tagging_api() -> None:
    # The Resource Groups Tagging API imports every service's models on its first call (about 3 s
    # here); bridge asks it on every first setup. Loading it beside the server's start, not in the
    # first request, keeps that call as quick as the others.
    import threading

    def load() -> None:
        import moto.resourcegroupstaggingapi.models  # noqa: F401

    threading.Thread(target=load, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description="bridge local AWS (moto server on 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        import moto  # noqa: F401
        from moto import server
    except ImportError:
        sys.stderr.write("moto is not installed for python3: install it with 'pip install \"moto[server]\"'\n")
        sys.exit(3)
    apply_bucket_policy_correction()
    add_marker_route()
    add_service_specific_credentials()
    add_log_group_identifiers()
    replace_event_invoke_config()
    add_update_method()
    warm_tagging_api()
    server.main(["-H", "127.0.0.1", "-p", str(args.port)])


if __name__ == "__main__":
    main()
