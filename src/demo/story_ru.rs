//! The demo's last step: a customer whose Discord client is Russian is served in Russian, from
//! `/order` to the link DM, while staff keep their English review card.

use std::io::Cursor;

use super::story::{StepResult, Story};
use super::world::StepError;

/// A receipt screenshot of ivan's own (carol's would be refused as a duplicate): a plain PNG of
/// stripes, 480×800.
fn ivan_receipt() -> Result<Vec<u8>, StepError> {
    let img = image::RgbImage::from_fn(480, 800, |x, y| {
        let band = (y / 40 + x / 160) % 3;
        image::Rgb([250 - 60 * band as u8, 250, 240 - 70 * band as u8])
    });
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| StepError::Setup(format!("ivan's receipt: {e}")))?;
    Ok(png.into_inner())
}

impl Story<'_> {
    pub(super) async fn in_russian(&self) -> StepResult {
        let w = self.w;
        let fail = self.begin("ivan, on a Russian Discord client, is served in Russian");
        let ivan = w.emu.add_user("ivan", &[]);
        w.emu.set_locale(ivan, "ru");
        println!("  ivan joins; his Discord speaks Russian (interactions carry locale \"ru\")");
        let (ticket, order) = w.open_ticket(ivan).await.map_err(&fail)?;
        let place = format!("in {}", w.channel_name(ticket));
        let welcome = w
            .message_in(ticket, "the Russian welcome", |m| {
                m.content.contains("добро пожаловать")
            })
            .await
            .map_err(&fail)?;
        w.show("ivan", &place, &welcome);
        w.pick_method(ivan, ticket, order).await.map_err(&fail)?;
        let png = ivan_receipt().map_err(&fail)?;
        let card = w.upload(ivan, ticket, png, 2).await.map_err(&fail)?;
        let ack = w
            .message_in(ticket, "the Russian acknowledgement", |m| {
                m.content.contains("Спасибо")
            })
            .await
            .map_err(&fail)?;
        w.show("ivan", &place, &ack);
        println!("  alice approves his card (staff texts stay English) and confirms");
        w.approve(&card).await.map_err(&fail)?;
        let dm = w.dm(ivan, "vless://").await.map_err(&fail)?;
        if !dm.content.contains("Ваш доступ к VPN готов") {
            return Err(fail(StepError::Unexpected(format!(
                "the link DM is not in Russian: {:?}",
                dm.content
            ))));
        }
        w.show("ivan", "in his DMs", &dm);
        Ok(())
    }
}
