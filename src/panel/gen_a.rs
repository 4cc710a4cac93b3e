//! Gen A client operations (v2.x – v3.0.x): clients live in the inbound's `settings` string.
//!
//! Writes send `{"id": <inboundId>, "settings": "{\"clients\":[…]}"}` (JSON inside JSON).
//! `updateClient/{key}` replaces a client wholesale, so every change is a read-modify-write of
//! the full stored client. A client is located by email through `getClientTraffics/{email}`,
//! whose `inboundId` names the inbound holding it. The last client of an inbound cannot be
//! deleted (`no client remained in Inbound`); it is disabled instead. Source: `xui-api.md` §4, §6.

use reqwest::Method;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::error::{ErrorContext, PanelError, PanelResult};
use super::transport::{Body, Transport, obj_shape_error, seg};
use super::types::{Client, ClientTraffic, Inbound};
use super::{ClientSpec, DeleteOutcome, EnsureOutcome};

const INBOUNDS: &str = "panel/api/inbounds";

/// `GET inbounds/get/{id}` (shared by both generations), with every client, or (`only`) just the
/// client with that email (see [`Inbound::read`]).
///
/// # Errors
/// [`PanelError::NotFound`] for an unknown id.
pub(super) async fn inbound(
    t: &Transport,
    op: &'static str,
    id: u32,
    only: Option<&str>,
) -> PanelResult<Inbound> {
    let route = format!("{INBOUNDS}/get/{id}");
    let obj = t
        .call::<Box<RawValue>>(op, Method::GET, &route, Body::Empty)
        .await?
        .ok_or_else(|| PanelError::NotFound {
            ctx: ErrorContext::new(op, route.clone()),
            what: format!("inbound {id}"),
        })?;
    Inbound::read(obj.get(), only).map_err(|e| obj_shape_error(ErrorContext::new(op, route), &e))
}

/// `GET inbounds/list` (shared by both generations).
///
/// # Errors
/// Transport, auth and protocol failures.
pub(super) async fn list_inbounds(t: &Transport, op: &'static str) -> PanelResult<Vec<Inbound>> {
    Ok(
        t.call::<Vec<Inbound>>(op, Method::GET, &format!("{INBOUNDS}/list"), Body::Empty)
            .await?
            .unwrap_or_default(),
    )
}

/// The key `updateClient`/`delClient` take: UUID (VLESS/VMess), password (Trojan), email (SS).
fn client_key<'a>(protocol: &str, c: &'a Client) -> &'a str {
    match protocol {
        "trojan" => c.password.as_deref().unwrap_or(""),
        "shadowsocks" => &c.email,
        _ => &c.id,
    }
}

fn settings_body(inbound_id: u32, client: &Client) -> PanelResult<Body> {
    let settings = serde_json::to_string(&json!({ "clients": [client] }))
        .map_err(|e| PanelError::Config(format!("cannot encode a client: {e}")))?;
    Ok(Body::Json(
        json!({ "id": inbound_id, "settings": settings }),
    ))
}

async fn update_client(
    t: &Transport,
    op: &'static str,
    inbound: &Inbound,
    old: &Client,
    new: &Client,
) -> PanelResult<()> {
    let route = format!(
        "{INBOUNDS}/updateClient/{}",
        seg(client_key(&inbound.protocol, old))
    );
    t.call::<Value>(op, Method::POST, &route, settings_body(inbound.id, new)?)
        .await
        .map(drop)
}

/// Creates or rewrites the client with `spec.email` in `inbound_id`.
///
/// # Errors
/// See [`super::PanelApi::ensure_client`].
pub(super) async fn ensure_client(
    t: &Transport,
    inbound_id: u32,
    spec: &ClientSpec,
) -> PanelResult<EnsureOutcome> {
    const OP: &str = "ensure_client";
    let ib = inbound(t, OP, inbound_id, Some(&spec.email)).await?;
    if let Some(existing) = ib.client(&spec.email) {
        let mut next = existing.clone();
        spec.apply_to(&mut next);
        if &next == existing {
            return Ok(EnsureOutcome::Unchanged);
        }
        update_client(t, OP, &ib, existing, &next).await?;
        return Ok(EnsureOutcome::Updated);
    }
    add_client(t, OP, inbound_id, spec).await?;
    Ok(EnsureOutcome::Created)
}

/// `POST addClient` of `spec` into `inbound_id`, without reading the inbound.
///
/// # Errors
/// [`PanelError::Duplicate`] when the email exists in any inbound ("Duplicate email: x"),
/// [`PanelError::NotFound`] for an unknown inbound, transport and auth failures.
pub(super) async fn add_client(
    t: &Transport,
    op: &'static str,
    inbound_id: u32,
    spec: &ClientSpec,
) -> PanelResult<()> {
    let route = format!("{INBOUNDS}/addClient");
    t.call::<Value>(
        op,
        Method::POST,
        &route,
        settings_body(inbound_id, &spec.to_client())?,
    )
    .await?;
    Ok(())
}

/// `GET getClientTraffics/{email}`; `obj:null` (≤ v2.8.0) and "not found" (v2.8.1+) ⇒ NotFound.
///
/// # Errors
/// [`PanelError::NotFound`] for an unknown email.
pub(super) async fn client_traffic(
    t: &Transport,
    op: &'static str,
    email: &str,
) -> PanelResult<ClientTraffic> {
    let route = format!("{INBOUNDS}/getClientTraffics/{}", seg(email));
    t.call::<ClientTraffic>(op, Method::GET, &route, Body::Empty)
        .await?
        .ok_or_else(|| PanelError::NotFound {
            ctx: ErrorContext::new(op, route),
            what: format!("client {email}"),
        })
}

/// The inbound holding `email` and the stored client; the inbound holds only that client unless
/// `every_client`.
async fn locate(
    t: &Transport,
    op: &'static str,
    email: &str,
    every_client: bool,
) -> PanelResult<(Inbound, Client)> {
    let traffic = client_traffic(t, op, email).await?;
    let id = u32::try_from(traffic.inbound_id).map_err(|_| PanelError::Protocol {
        ctx: ErrorContext::new(op, "getClientTraffics"),
        detail: format!("inboundId {} is not an inbound id", traffic.inbound_id),
    })?;
    let ib = inbound(t, op, id, (!every_client).then_some(email)).await?;
    let client = ib
        .client(email)
        .cloned()
        .ok_or_else(|| PanelError::NotFound {
            ctx: ErrorContext::new(op, format!("{INBOUNDS}/get/{id}")),
            what: format!("client {email} is not in inbound {id}"),
        })?;
    Ok((ib, client))
}

/// Read-modify-write of one client located by email.
///
/// # Errors
/// [`PanelError::NotFound`] for an unknown email.
pub(super) async fn modify_client(
    t: &Transport,
    op: &'static str,
    email: &str,
    change: impl FnOnce(&mut Client),
) -> PanelResult<()> {
    let (ib, old) = locate(t, op, email, false).await?;
    let mut next = old.clone();
    change(&mut next);
    if next == old {
        return Ok(());
    }
    update_client(t, op, &ib, &old, &next).await
}

/// Deletes a client, or disables it when it is the last one of its inbound.
///
/// # Errors
/// [`PanelError::NotFound`] for an unknown email.
pub(super) async fn delete_client(t: &Transport, email: &str) -> PanelResult<DeleteOutcome> {
    const OP: &str = "delete_client";
    // The count of clients decides between deleting and disabling.
    let (ib, old) = locate(t, OP, email, true).await?;
    if ib.clients().len() <= 1 {
        if old.enable {
            let mut next = old.clone();
            next.enable = false;
            update_client(t, OP, &ib, &old, &next).await?;
        }
        return Ok(DeleteOutcome::Disabled);
    }
    let route = format!(
        "{INBOUNDS}/{}/delClient/{}",
        ib.id,
        seg(client_key(&ib.protocol, &old))
    );
    t.call::<Value>(OP, Method::POST, &route, Body::Empty)
        .await?;
    Ok(DeleteOutcome::Deleted)
}
