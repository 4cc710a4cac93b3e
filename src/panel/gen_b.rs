//! Gen B client operations (v3.1+): first-class clients under `/panel/api/clients/*`, keyed by
//! email, JSON bodies only.
//!
//! `clients/update/{email}` replaces the record (empty `id`/`subId` are preserved server-side),
//! so changes are read-modify-write from `clients/get/{email}`. `clients/add` turns
//! `enable:false` into `true`, so a disabled client is created and then updated. A client that
//! exists but is not attached to the wanted inbound is attached. Deleting the last client of an
//! inbound is refused (`no client remained in Inbound`, the one `msg` matched here); the client
//! is disabled instead. Source: `xui-api.md` §5, §6.4–6.5.

use reqwest::Method;
use serde_json::{Value, json};

use super::error::{ErrorContext, PanelError, PanelResult};
use super::transport::{Body, Transport, seg};
use super::types::{Client, ClientDetail, ClientTraffic};
use super::{ClientSpec, DeleteOutcome, EnsureOutcome};

const CLIENTS: &str = "panel/api/clients";

/// `GET clients/get/{email}`; a refusal that says "not found" ⇒ `None`.
async fn get(t: &Transport, op: &'static str, email: &str) -> PanelResult<Option<ClientDetail>> {
    let route = format!("{CLIENTS}/get/{}", seg(email));
    match t
        .call::<ClientDetail>(op, Method::GET, &route, Body::Empty)
        .await
    {
        Ok(detail) => Ok(detail),
        Err(PanelError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn get_existing(t: &Transport, op: &'static str, email: &str) -> PanelResult<Client> {
    let detail = get(t, op, email)
        .await?
        .ok_or_else(|| PanelError::NotFound {
            ctx: ErrorContext::new(op, format!("{CLIENTS}/get/{}", seg(email))),
            what: format!("client {email}"),
        })?;
    record_client(op, &detail)
}

fn record_client(op: &'static str, detail: &ClientDetail) -> PanelResult<Client> {
    detail.client.to_client().map_err(|e| PanelError::Protocol {
        ctx: ErrorContext::new(op, CLIENTS),
        detail: format!("client record does not parse: {e}"),
    })
}

async fn update(t: &Transport, op: &'static str, email: &str, client: &Client) -> PanelResult<()> {
    let route = format!("{CLIENTS}/update/{}", seg(email));
    let body = serde_json::to_value(client)
        .map_err(|e| PanelError::Config(format!("cannot encode a client: {e}")))?;
    t.call::<Value>(op, Method::POST, &route, Body::Json(body))
        .await
        .map(drop)
}

/// Creates, rewrites and/or attaches the client with `spec.email`.
///
/// # Errors
/// See [`super::PanelApi::ensure_client`].
pub(super) async fn ensure_client(
    t: &Transport,
    inbound_id: u32,
    spec: &ClientSpec,
) -> PanelResult<EnsureOutcome> {
    const OP: &str = "ensure_client";
    let Some(detail) = get(t, OP, &spec.email).await? else {
        add(t, OP, inbound_id, spec).await?;
        return Ok(EnsureOutcome::Created);
    };
    let old = record_client(OP, &detail)?;
    let mut next = old.clone();
    spec.apply_to(&mut next);
    let attached =
        detail.inbound_ids.contains(&inbound_id) || detail.client.inbound_ids.contains(&inbound_id);
    if next == old && attached {
        return Ok(EnsureOutcome::Unchanged);
    }
    if next != old {
        update(t, OP, &spec.email, &next).await?;
    }
    if !attached {
        let route = format!("{CLIENTS}/{}/attach", seg(&spec.email));
        let body = json!({ "inboundIds": [inbound_id] });
        t.call::<Value>(OP, Method::POST, &route, Body::Json(body))
            .await?;
    }
    Ok(EnsureOutcome::Updated)
}

/// Adds `spec` unless its email exists: one `clients/get` by email, then `clients/add`.
///
/// # Errors
/// [`PanelError::Duplicate`] when a client with that email exists; otherwise as
/// [`ensure_client`].
pub(super) async fn create_client(
    t: &Transport,
    inbound_id: u32,
    spec: &ClientSpec,
) -> PanelResult<()> {
    const OP: &str = "create_client";
    if get(t, OP, &spec.email).await?.is_some() {
        return Err(PanelError::Duplicate {
            ctx: ErrorContext::new(OP, format!("{CLIENTS}/get/{}", seg(&spec.email))),
            msg: format!("client {} exists", spec.email),
        });
    }
    add(t, OP, inbound_id, spec).await
}

/// `POST clients/add` of `spec` attached to `inbound_id`; a disabled spec is then updated (the
/// add enables).
async fn add(
    t: &Transport,
    op: &'static str,
    inbound_id: u32,
    spec: &ClientSpec,
) -> PanelResult<()> {
    let body = json!({ "client": spec.to_client(), "inboundIds": [inbound_id] });
    let route = format!("{CLIENTS}/add");
    t.call::<Value>(op, Method::POST, &route, Body::Json(body))
        .await?;
    if !spec.enable {
        update(t, op, &spec.email, &spec.to_client()).await?;
    }
    Ok(())
}

/// Read-modify-write of one client.
///
/// # Errors
/// [`PanelError::NotFound`] for an unknown email.
pub(super) async fn modify_client(
    t: &Transport,
    op: &'static str,
    email: &str,
    change: impl FnOnce(&mut Client),
) -> PanelResult<()> {
    let old = get_existing(t, op, email).await?;
    let mut next = old.clone();
    change(&mut next);
    if next == old {
        return Ok(());
    }
    update(t, op, email, &next).await
}

/// `POST clients/del/{email}`; refused as the last client of an inbound ⇒ disabled instead.
///
/// # Errors
/// [`PanelError::NotFound`] for an unknown email.
pub(super) async fn delete_client(t: &Transport, email: &str) -> PanelResult<DeleteOutcome> {
    const OP: &str = "delete_client";
    let route = format!("{CLIENTS}/del/{}", seg(email));
    match t.call::<Value>(OP, Method::POST, &route, Body::Empty).await {
        Ok(_) => Ok(DeleteOutcome::Deleted),
        Err(PanelError::Rejected { msg, .. }) if msg.contains("no client remained") => {
            modify_client(t, OP, email, |c| c.enable = false).await?;
            Ok(DeleteOutcome::Disabled)
        }
        Err(e) => Err(e),
    }
}

/// `GET clients/traffic/{email}` (`obj:null` ⇒ NotFound).
///
/// # Errors
/// [`PanelError::NotFound`] for an unknown email.
pub(super) async fn client_traffic(t: &Transport, email: &str) -> PanelResult<ClientTraffic> {
    const OP: &str = "client_traffic";
    let route = format!("{CLIENTS}/traffic/{}", seg(email));
    t.call::<ClientTraffic>(OP, Method::GET, &route, Body::Empty)
        .await?
        .ok_or_else(|| PanelError::NotFound {
            ctx: ErrorContext::new(OP, route),
            what: format!("client {email}"),
        })
}
