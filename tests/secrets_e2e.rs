//! No credential ever reaches stdout or stderr: every command at the highest verbosity
//! (`-vvv`) with session credentials whose key id, secret and token are distinctive
//! strings, on success paths and error paths (an endpoint that refuses connections, an
//! endpoint path the service does not know, a member role that cannot be assumed).

mod support;

use support::{run_trailform, run_trailform_at, MotoServer, OrgBuilder, Run};

const KEY: &str = "ASIATRAILFORMKEYID77";
const SECRET: &str = "trailformSecretAccessKeyValue/9x8y7z6w5v4u";
const TOKEN: &str = "TRAILFORMSESSIONTOKENvalue0123456789abcdefSECRETTOKEN";

const SPEC: &str = "version: 1
organization:
  regions: [us-east-1]
trails:
  org-audit:
    scope: organization
    home_region: us-east-1
    s3_bucket: logs
  acct:
    scope: account
    targets:
      organizational_units: [W]
    regions: [us-east-1]
    s3_bucket: logs
";

fn assert_no_secret(what: &str, r: &Run) {
    for (name, secret) in [
        ("access key", KEY),
        ("secret key", SECRET),
        ("session token", TOKEN),
    ] {
        // Whole and in part (a prefix long enough to identify it).
        for needle in [secret, &secret[..16]] {
            assert!(
                !r.stdout.contains(needle) && !r.stderr.contains(needle),
                "{what}: the {name} was printed:\n--- stdout\n{}\n--- stderr\n{}",
                r.stdout,
                r.stderr
            );
        }
    }
}

#[test]
fn no_command_prints_credentials_even_at_vvv_and_on_errors() {
    let moto = MotoServer::start();
    OrgBuilder::new()
        .ou("W")
        .bucket("management", "logs", "us-east-1")
        .account("a0", "W", &[])
        .seed(&moto);
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("trailform.yaml"), SPEC).expect("write spec");
    std::fs::write(
        d.join("denied.yaml"),
        SPEC.replace(
            "organization:\n",
            "organization:\n  member_role: arn:aws:iam::{account_id}:role/Missing\n",
        ),
    )
    .expect("write spec");
    let creds = [
        ("AWS_ACCESS_KEY_ID", KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_SESSION_TOKEN", TOKEN),
    ];
    // Each command and its exit code against moto with these credentials.
    let commands: &[(&[&str], i32)] = &[
        (&["validate"], 0),
        (&["accounts"], 0),
        (&["plan", "--out", "plan.json"], 0),
        (&["drift"], 2),
        (&["import"], 0),
        (&["apply", "plan.json"], 0),
        (&["apply", "--auto-approve", "-f", "denied.yaml"], 1),
        (&["apply", "--auto-approve"], 0),
        (&["plan", "--format", "json", "--detailed-exitcode"], 0),
    ];
    let mut runs = 0;
    for (args, code) in commands {
        let mut full = vec!["-vvv"];
        full.extend_from_slice(args);
        let r = run_trailform_at(&moto.endpoint(), d, &full, &creds);
        assert_eq!(r.code, *code, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert_no_secret(&format!("{args:?}"), &r);
        runs += 1;
    }
    // Error paths: nothing listening, and a path the service does not know.
    let refused = "http://127.0.0.1:9";
    let unknown = format!("{}/no/such/service", moto.endpoint());
    for endpoint in [refused, unknown.as_str()] {
        for (args, _) in commands {
            let mut full = vec!["-vvv"];
            full.extend_from_slice(args);
            let mut env = creds.to_vec();
            env.push(("AWS_MAX_ATTEMPTS", "1"));
            let r = run_trailform_at(endpoint, d, &full, &env);
            assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
            if args[0] != "validate" {
                assert_ne!(
                    r.code, 0,
                    "{endpoint} {args:?} cannot succeed: {}",
                    r.stderr
                );
            }
            assert_no_secret(&format!("{endpoint} {args:?}"), &r);
            runs += 1;
        }
    }
    // The harness's own check: the same run with the keys printed would be caught.
    let leaked = Run {
        code: 0,
        stdout: format!("key {KEY}"),
        stderr: String::new(),
    };
    assert!(std::panic::catch_unwind(|| assert_no_secret("self-check", &leaked)).is_err());
    let _ = run_trailform(&moto, d, &["validate"]);
    eprintln!("{runs} runs, no credential printed");
}
