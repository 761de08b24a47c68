"""Starts moto in server mode on 127.0.0.1 with patches that restore documented AWS
behaviour trailform depends on (design.md section 5).

Prints `PORT <n>` on stdout once the server is listening, then serves until stdin
closes (the test process that started it went away) or it is killed.

Each patch names the AWS behaviour it restores; tests/moto_harness.rs checks them.
Never set MOTO_ACCOUNT_ID: moto picks the account from the access key it issued.
"""

import os
import re
import sys

from moto.core.exceptions import JsonRESTError
from moto.cloudtrail import models as ct
from moto.iam.models import iam_backends
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.sts import models as sts
from moto.sts.exceptions import STSClientError


class TrailAlreadyExistsException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("TrailAlreadyExistsException", message)


class InsightNotEnabledException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("InsightNotEnabledException", message)


# AWS CreateTrail: "TrailAlreadyExistsException: This exception is thrown when the
# specified trail already exists." moto silently replaces the trail.
_create_trail = ct.CloudTrailBackend.create_trail


def create_trail(self, name, *args, **kwargs):
    if name in self.trails:
        raise TrailAlreadyExistsException(
            f"Trail {self.trails[name].arn} already exists for customer: {self.account_id}"
        )
    return _create_trail(self, name, *args, **kwargs)


ct.CloudTrailBackend.create_trail = create_trail


# AWS PutInsightSelectors sets the trail's insight selectors (replaces them); an empty
# list turns Insights off. moto appends, and `[]` changes nothing.
def put_insight_selectors(self, insight_selectors):
    self.insight_selectors = list(insight_selectors or [])


ct.Trail.put_insight_selectors = put_insight_selectors


# AWS GetInsightSelectors on a trail without Insights raises InsightNotEnabledException.
# moto answers an empty list.
_get_insight_selectors = ct.CloudTrailBackend.get_insight_selectors


def get_insight_selectors(self, trail_name):
    arn, selectors = _get_insight_selectors(self, trail_name)
    if not selectors:
        raise InsightNotEnabledException(f"Trail {arn} does not have Insights enabled.")
    return arn, selectors


ct.CloudTrailBackend.get_insight_selectors = get_insight_selectors


# AWS DeleteTrail takes a name or an ARN and raises TrailNotFoundException for an
# unknown trail. moto only deletes by name and answers 200 for anything else.
def delete_trail(self, name):
    trail = self.get_trail(name)
    del self.trails[trail.trail_name]


ct.CloudTrailBackend.delete_trail = delete_trail


# AWS CreateTrail/UpdateTrail SnsTopicName: "the name or the ARN of the Amazon SNS
# topic". moto takes it as a name and builds `arn:...:sns:REGION:ACCOUNT:NAME`, so an ARN
# becomes `arn:...:ACCOUNT:arn:aws:sns:...`.
_topic_arn = ct.Trail.topic_arn


@property
def topic_arn(self):
    if self.sns_topic_name and self.sns_topic_name.startswith("arn:"):
        return self.sns_topic_name
    return _topic_arn.fget(self)


ct.Trail.topic_arn = topic_arn


# AWS PutEventSelectors: a trail uses classic or advanced selectors, never both; putting
# one kind replaces the other. moto keeps earlier advanced selectors after a classic put.
def put_event_selectors(self, event_selectors, advanced_event_selectors):
    if event_selectors:
        self.event_selectors = event_selectors
        self.advanced_event_selectors = []
    elif advanced_event_selectors:
        self.event_selectors = []
        self.advanced_event_selectors = advanced_event_selectors


ct.Trail.put_event_selectors = put_event_selectors


# AWS AssumeRole of a role that does not exist in the target account is AccessDenied.
# moto assumes any ARN. Organizations creates OrganizationAccountAccessRole in every
# account it creates (CreateAccount), which moto does not model, so that role is taken
# to exist; any other role must have been created in the account's IAM.
_assume_role = sts.STSBackend.assume_role
ORG_ROLE = "OrganizationAccountAccessRole"


def assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
    match = re.match(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:.*/)?([^/]+)$", role_arn or "")
    if match is None:
        raise STSClientError("ValidationError", f"{role_arn} is not a valid role ARN")
    account_id, role_name = match.group(1), match.group(2)
    if role_name != ORG_ROLE:
        iam = iam_backends[account_id]["aws"]
        if not any(role.arn == role_arn for role in iam.get_roles()):
            raise STSClientError(
                "AccessDenied",
                f"User: arn:aws:iam::{self.account_id}:user/trailform-test is not "
                f"authorized to perform: sts:AssumeRole on resource: {role_arn}",
            )
    return _assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs)


sts.STSBackend.assume_role = assume_role


def main() -> None:
    if "MOTO_ACCOUNT_ID" in os.environ:
        sys.exit("MOTO_ACCOUNT_ID must not be set: it maps every request to one account")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"PORT {port}", flush=True)
    # Serve until the parent goes away (stdin closes) or kills us.
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
