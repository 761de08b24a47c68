//! AWS Organizations (and STS caller identity) reads: the management account, the root,
//! the OU tree and the accounts with their OU path and, only when asked, their tags.
//!
//! Accounts are listed with ListAccountsForParent per parent while walking the OU tree
//! (ListOrganizationalUnitsForParent), not ListAccounts + ListParents: the walk costs
//! 2 × (OUs + 1) calls plus extra pages and yields every account's path for free,
//! while ListParents would cost one call per account (and more per nesting level).
//! Accounts are handed to a callback as each page arrives, so the caller can start
//! reading an account while the rest of the organization is still being listed.
//! Calls are sequential here: Organizations' list quotas are low (design.md §3).

use std::collections::BTreeMap;

use aws_sdk_organizations::types as org;

use super::{AwsContext, AwsError};
use crate::live::{Account, AccountStatus, OrganizationalUnit, OuRef};

/// Page size for Organizations list calls (the API maximum is 20).
const PAGE_SIZE: i32 = 20;

/// The organization's management account id (DescribeOrganization).
pub async fn management_account_id(ctx: &AwsContext) -> Result<String, AwsError> {
    const OP: &str = "DescribeOrganization";
    let _permit = ctx.permit().await;
    let out = ctx
        .0
        .organizations
        .describe_organization()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(OP, &e))?;
    out.organization()
        .and_then(|o| o.master_account_id())
        .map(str::to_owned)
        .ok_or_else(|| missing(OP, "no management account id"))
}

/// The root id, `r-...` (ListRoots).
pub async fn root_id(ctx: &AwsContext) -> Result<String, AwsError> {
    const OP: &str = "ListRoots";
    let _permit = ctx.permit().await;
    let out = ctx
        .0
        .organizations
        .list_roots()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(OP, &e))?;
    out.roots()
        .first()
        .and_then(|r| r.id())
        .map(str::to_owned)
        .ok_or_else(|| missing(OP, "no root"))
}

fn missing(operation: &str, what: &str) -> AwsError {
    AwsError {
        operation: operation.to_owned(),
        code: "MissingField".to_owned(),
        message: format!("{operation} answered {what}"),
    }
}

/// Something found while walking the organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// An OU.
    Ou(OrganizationalUnit),
    /// An account, with its path from the root.
    Account(Account),
}

/// A part of the OU tree that could not be listed.
#[derive(Debug)]
pub struct WalkFailure {
    /// The parent (root or OU id) whose listing failed.
    pub parent_id: String,
    /// The failed call.
    pub error: AwsError,
}

/// Walks the OU tree from `root_id` depth first, handing each account (tags empty) and
/// OU to `on_item` as its page arrives.
///
/// A failing call does not stop the walk: it is returned against its parent and the
/// rest of the tree is still listed. When a parent's accounts cannot be listed its
/// child OUs still are; when its child OUs cannot be listed, the subtree below is
/// unknown (the failure says which parent).
pub async fn walk(
    ctx: &AwsContext,
    root_id: &str,
    mut on_item: impl FnMut(Listed),
) -> Vec<WalkFailure> {
    let root = OuRef {
        id: root_id.to_owned(),
        name: "Root".to_owned(),
    };
    let mut failures = Vec::new();
    let mut stack: Vec<Vec<OuRef>> = vec![vec![root]];
    while let Some(path) = stack.pop() {
        let Some(parent) = path.last() else { continue };
        let parent_id = parent.id.clone();
        if let Err(error) = list_accounts(ctx, &parent_id, &path, &mut on_item).await {
            failures.push(WalkFailure {
                parent_id: parent_id.clone(),
                error,
            });
        }
        match list_child_ous(ctx, &parent_id, &path, &mut on_item).await {
            // Depth first in listing order.
            Ok(children) => stack.extend(children.into_iter().rev()),
            Err(error) => failures.push(WalkFailure { parent_id, error }),
        }
    }
    failures
}

/// Every page of ListAccountsForParent for one parent, at `path`.
async fn list_accounts(
    ctx: &AwsContext,
    parent_id: &str,
    path: &[OuRef],
    on_item: &mut impl FnMut(Listed),
) -> Result<(), AwsError> {
    let mut next: Option<String> = None;
    loop {
        let _permit = ctx.permit().await;
        let out = ctx
            .0
            .organizations
            .list_accounts_for_parent()
            .parent_id(parent_id)
            .max_results(PAGE_SIZE)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListAccountsForParent", &e))?;
        for a in out.accounts() {
            if let Some(account) = account_from_sdk(a, path) {
                on_item(Listed::Account(account));
            }
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => return Ok(()),
        }
    }
}

/// Every page of ListOrganizationalUnitsForParent for one parent at `path`: each child
/// is handed to `on_item` and returned as its own path.
async fn list_child_ous(
    ctx: &AwsContext,
    parent_id: &str,
    path: &[OuRef],
    on_item: &mut impl FnMut(Listed),
) -> Result<Vec<Vec<OuRef>>, AwsError> {
    let mut children = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let _permit = ctx.permit().await;
        let out = ctx
            .0
            .organizations
            .list_organizational_units_for_parent()
            .parent_id(parent_id)
            .max_results(PAGE_SIZE)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListOrganizationalUnitsForParent", &e))?;
        for ou in out.organizational_units() {
            let (Some(id), Some(name)) = (ou.id(), ou.name()) else {
                continue;
            };
            let mut child = path.to_vec();
            child.push(OuRef {
                id: id.to_owned(),
                name: name.to_owned(),
            });
            on_item(Listed::Ou(OrganizationalUnit {
                id: id.to_owned(),
                name: name.to_owned(),
                path: child
                    .iter()
                    .skip(1)
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
            }));
            children.push(child);
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => return Ok(children),
        }
    }
}

fn account_from_sdk(a: &org::Account, path: &[OuRef]) -> Option<Account> {
    // `State` is the newer field (it knows CLOSED); `Status` is what older answers carry.
    let status = match (a.state(), a.status()) {
        (Some(org::AccountState::Suspended | org::AccountState::Closed), _) => {
            AccountStatus::Suspended
        }
        (Some(org::AccountState::PendingClosure), _) => AccountStatus::PendingClosure,
        (Some(org::AccountState::Active | org::AccountState::PendingActivation), _) => {
            AccountStatus::Active
        }
        (_, Some(org::AccountStatus::Suspended)) => AccountStatus::Suspended,
        (_, Some(org::AccountStatus::PendingClosure)) => AccountStatus::PendingClosure,
        _ => AccountStatus::Active,
    };
    Some(Account {
        id: a.id()?.to_owned(),
        name: a.name().unwrap_or_default().to_owned(),
        email: a.email().unwrap_or_default().to_owned(),
        status,
        tags: BTreeMap::new(),
        ou_path: path.to_vec(),
    })
}

/// An account's tags (ListTagsForResource, all pages). Call only when the spec uses
/// `account_tags`: it costs one call per account.
pub async fn account_tags(
    ctx: &AwsContext,
    account_id: &str,
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut tags = BTreeMap::new();
    let mut next: Option<String> = None;
    loop {
        let _permit = ctx.permit().await;
        let out = ctx
            .0
            .organizations
            .list_tags_for_resource()
            .resource_id(account_id)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListTagsForResource", &e))?;
        for t in out.tags() {
            tags.insert(t.key().to_owned(), t.value().to_owned());
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => break,
        }
    }
    Ok(tags)
}
