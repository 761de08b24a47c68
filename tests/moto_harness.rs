//! The harness itself: moto answers the real SDK the way trailform builds its clients,
//! and every launcher patch restores the AWS behaviour it names.

mod support;

use std::collections::BTreeMap;

use serde_json::json;
use support::{boto_read, trails_dump, MotoServer, OrgBuilder, REGION};
use trailform::aws::{organizations, AwsSettings, MemberAccess, TrailParams};
use trailform::spec::{InsightType, DEFAULT_MEMBER_ROLE};

fn access() -> MemberAccess {
    MemberAccess {
        member_role: DEFAULT_MEMBER_ROLE.to_owned(),
        external_id: None,
        session_name: "trailform-test".to_owned(),
    }
}

fn params(name: &str, bucket: &str) -> TrailParams {
    TrailParams {
        name: name.to_owned(),
        s3_bucket: bucket.to_owned(),
        global_service_events: true,
        ..TrailParams::default()
    }
}

#[tokio::test]
async fn sdk_lists_seeded_accounts_and_reads_a_member_through_an_assumed_role() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .ou("Workloads/Prod")
        .account("prod-1", "Workloads/Prod", &[("environment", "prod")])
        .account("dev-1", "", &[])
        .seed(&moto);
    let ctx = moto.context(&AwsSettings::no_retries()).await;

    assert_eq!(
        ctx.caller_account_id().await.as_deref(),
        Ok(org.management_id.as_str())
    );
    assert_eq!(
        organizations::management_account_id(&ctx).await.as_deref(),
        Ok(org.management_id.as_str())
    );
    let root = organizations::root_id(&ctx).await.expect("ListRoots");
    let mut names = Vec::new();
    let failures = organizations::walk(&ctx, &root, |item| {
        if let organizations::Listed::Account(a) = item {
            names.push((
                a.name,
                a.ou_path.iter().map(|o| o.name.clone()).collect::<Vec<_>>(),
            ));
        }
    })
    .await;
    assert!(failures.is_empty(), "{failures:?}");
    names.sort();
    assert_eq!(
        names,
        vec![
            ("dev-1".to_owned(), vec!["Root".to_owned()]),
            ("master".to_owned(), vec!["Root".to_owned()]),
            (
                "prod-1".to_owned(),
                vec!["Root".into(), "Workloads".into(), "Prod".into()]
            ),
        ]
    );

    let member = ctx
        .trail_client(org.id("prod-1"), "eu-west-1", &access())
        .await
        .expect("assume role");
    assert_eq!(member.describe_trails().await, Ok(vec![]));
    let counts = ctx.request_counts();
    assert_eq!(counts.get("AssumeRole"), Some(&1));
    assert_eq!(counts.get("DescribeTrails"), Some(&1));
}

#[tokio::test]
async fn assumed_role_credentials_are_cached_per_account_across_regions() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new().account("a", "", &[]).seed(&moto);
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    for region in ["us-east-1", "eu-west-1", "ap-southeast-2", "us-east-1"] {
        let c = ctx
            .trail_client(org.id("a"), region, &access())
            .await
            .expect("client");
        c.describe_trails().await.expect("DescribeTrails");
    }
    assert_eq!(ctx.request_counts().get("AssumeRole"), Some(&1));
}

/// Patch: AssumeRole of a role that does not exist is AccessDenied (moto assumes any
/// ARN); OrganizationAccountAccessRole and roles created in IAM are assumable.
#[tokio::test]
async fn assume_role_of_a_missing_role_is_access_denied() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .account("a", "", &[])
        .role("a", "Reader")
        .seed(&moto);
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let with_role = |role: &str| MemberAccess {
        member_role: format!("arn:aws:iam::{{account_id}}:role/{role}"),
        ..access()
    };
    let err = ctx
        .trail_client(org.id("a"), REGION, &with_role("Missing"))
        .await
        .expect_err("denied");
    assert_eq!(
        (err.operation.as_str(), err.code.as_str()),
        ("AssumeRole", "AccessDenied")
    );
    assert!(err.message.contains("role/Missing"), "{}", err.message);
    ctx.trail_client(org.id("a"), REGION, &with_role("Reader"))
        .await
        .expect("created role");
}

/// Patches: CreateTrail of an existing name is TrailAlreadyExistsException; DeleteTrail
/// by ARN deletes the trail (and an unknown one is TrailNotFoundException).
#[tokio::test]
async fn duplicate_create_fails_and_delete_by_arn_deletes() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .account("a", "", &[])
        .bucket("a", "bucket-a", REGION)
        .seed(&moto);
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let ct = ctx
        .trail_client(org.id("a"), REGION, &access())
        .await
        .expect("client");
    let tags = BTreeMap::from([("owner".to_owned(), "security".to_owned())]);
    let arn = ct
        .create_trail(&params("audit", "bucket-a"), &tags)
        .await
        .expect("create");
    assert_eq!(arn, ct.trail_arn("audit"));
    let again = ct
        .create_trail(&params("audit", "bucket-a"), &tags)
        .await
        .expect_err("duplicate");
    assert_eq!(again.code, "TrailAlreadyExistsException");

    ct.delete_trail(&arn).await.expect("delete by ARN");
    assert_eq!(trails_dump(&moto, org.id("a"), REGION), json!([]));
    let gone = ct.delete_trail(&arn).await.expect_err("already deleted");
    assert!(gone.is_trail_not_found(), "{gone:?}");
}

/// Patches: PutInsightSelectors replaces (moto appended) and `[]` clears;
/// GetInsightSelectors with none set is InsightNotEnabledException (read as none).
#[tokio::test]
async fn insight_selectors_replace_and_clear() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .bucket("management", "bucket-m", REGION)
        .seed(&moto);
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let ct = ctx
        .trail_client(&org.management_id, REGION, &access())
        .await
        .expect("client");
    let arn = ct
        .create_trail(&params("audit", "bucket-m"), &BTreeMap::new())
        .await
        .expect("create");

    let raw = boto_read(
        &moto,
        &org.management_id,
        REGION,
        &format!(
            "ct = client('cloudtrail')\ntry:\n    ct.get_insight_selectors(TrailName='{arn}')\n    result = 'answered'\nexcept ct.exceptions.InsightNotEnabledException:\n    result = 'InsightNotEnabledException'"
        ),
    );
    assert_eq!(raw, json!("InsightNotEnabledException"));
    assert_eq!(ct.get_insight_selectors(&arn).await, Ok(vec![]));

    let rate = [InsightType::ApiCallRate];
    ct.put_insight_selectors(&arn, &rate).await.expect("put");
    ct.put_insight_selectors(&arn, &rate)
        .await
        .expect("put again");
    assert_eq!(
        ct.get_insight_selectors(&arn).await,
        Ok(vec!["ApiCallRateInsight".to_owned()])
    );
    ct.put_insight_selectors(&arn, &[]).await.expect("clear");
    assert_eq!(
        trails_dump(&moto, &org.management_id, REGION)[0]["insights"],
        json!([])
    );
}

/// Patch: a classic PutEventSelectors replaces earlier advanced selectors.
#[tokio::test]
async fn classic_selectors_replace_advanced_ones() {
    use trailform::aws::PutSelectors;
    use trailform::live::LiveSelectors;
    use trailform::spec::{
        AdvancedEventSelector, AdvancedFieldSelector, EventSelector, ReadWriteType,
    };

    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .bucket("management", "bucket-m", REGION)
        .seed(&moto);
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let ct = ctx
        .trail_client(&org.management_id, REGION, &access())
        .await
        .expect("client");
    let arn = ct
        .create_trail(&params("audit", "bucket-m"), &BTreeMap::new())
        .await
        .expect("create");
    // moto: a new trail answers no selectors (AWS: the default classic selector).
    assert_eq!(ct.get_event_selectors(&arn).await, Ok(LiveSelectors::None));
    let advanced = [AdvancedEventSelector {
        name: Some("mgmt".into()),
        field_selectors: vec![AdvancedFieldSelector {
            field: "eventCategory".into(),
            equals: vec!["Management".into()],
            ..AdvancedFieldSelector::default()
        }],
    }];
    ct.put_event_selectors(&arn, PutSelectors::Advanced(&advanced))
        .await
        .expect("advanced");
    assert_eq!(
        ct.get_event_selectors(&arn).await,
        Ok(LiveSelectors::Advanced(advanced.to_vec()))
    );
    let classic = [EventSelector {
        read_write_type: ReadWriteType::WriteOnly,
        include_management_events: true,
        data_resources: vec![],
        exclude_management_event_sources: vec![],
    }];
    ct.put_event_selectors(&arn, PutSelectors::Classic(&classic))
        .await
        .expect("classic");
    let dump = trails_dump(&moto, &org.management_id, REGION);
    assert_eq!(dump[0]["advanced_event_selectors"], json!([]));
    assert_eq!(
        ct.get_event_selectors(&arn).await,
        Ok(LiveSelectors::Classic(classic.to_vec()))
    );
}

#[tokio::test]
async fn update_tags_and_logging_round_trip() {
    let moto = MotoServer::start();
    let org = OrgBuilder::new()
        .account("a", "", &[])
        .bucket("a", "bucket-a", REGION)
        .bucket("a", "bucket-b", REGION)
        .seed(&moto);
    let ctx = moto.context(&AwsSettings::no_retries()).await;
    let ct = ctx
        .trail_client(org.id("a"), REGION, &access())
        .await
        .expect("client");
    let mut p = params("audit", "bucket-a");
    p.s3_key_prefix = Some("old".into());
    let arn = ct
        .create_trail(&p, &BTreeMap::from([("a".into(), "1".into())]))
        .await
        .expect("create");
    p.s3_bucket = "bucket-b".into();
    p.log_file_validation = true;
    ct.update_trail(&arn, &p).await.expect("update");
    ct.add_tags(&arn, &BTreeMap::from([("b".into(), "2".into())]))
        .await
        .expect("add tags");
    ct.remove_tags(&arn, &["a".to_owned()])
        .await
        .expect("remove tags");
    ct.start_logging(&arn).await.expect("start");
    let dump = trails_dump(&moto, org.id("a"), REGION);
    assert_eq!(dump[0]["trail"]["S3BucketName"], json!("bucket-b"));
    assert_eq!(dump[0]["trail"]["LogFileValidationEnabled"], json!(true));
    assert_eq!(dump[0]["tags"], json!({"b": "2"}));
    assert_eq!(dump[0]["is_logging"], json!(true));
    ct.stop_logging(&arn).await.expect("stop");
    let status = ct.get_trail_status(&arn).await.expect("status");
    assert!(!status.is_logging);
    let tags = ct
        .list_tags(std::slice::from_ref(&arn))
        .await
        .expect("tags");
    assert_eq!(
        tags[&arn],
        BTreeMap::from([("b".to_owned(), "2".to_owned())])
    );
}
