# vpn-ticket-bot: English, the fallback of every message.
# Links, codes and ids are arguments (the bundles do not add bidi isolation marks) or sit in
# their own code block; dates are Discord timestamps (<t:UNIX:f>) that each reader's client
# formats.

language-set = From now on the bot answers you in English.

## Time and amounts

when-never = never
when-at = on { $time }
when-first-use = { $days ->
    [one] { $days } day after your first connection
   *[other] { $days } days after your first connection
}
days = { $days ->
    [one] { $days } day
   *[other] { $days } days
}
traffic-unlimited = unlimited traffic
traffic-gib = { $gib } GiB
plan-line = { days }, { $traffic }, { $price }
unlimited = unlimited
unknown = unknown

## Ordering

order-prompt = Which plan would you like?
renew-prompt = Your VPN access ({ $status }) { $ends }. Which plan would you like to add? Its days are added to what you have left.
renew-ends-never = never ends
renew-ends-at = ends { $when }
renew-ends-unknown = has no known end
plan-select-placeholder = Choose a plan
method-select-placeholder = Choose a payment method
button-cancel-order = Cancel order
button-show-link = Show my link
ticket-opened = Your ticket is open: { $channel }. Continue there.
ticket-capacity = We are at capacity right now: the server cannot hold another ticket channel, so your order was not opened. Please try again later, or contact staff.
ticket-welcome = { $mention }, welcome to your ticket.
ticket-title = Order #{ $order }
ticket-description = Pick a payment method below, pay, then upload a screenshot of the payment here.
ticket-field-plan = Plan
ticket-field-details = Details
method-footer = When you have paid, upload a screenshot of the payment in this channel.
order-cancelled = Order #{ $order } is cancelled.
receipt-accepted = Thanks! Your receipt was received and is waiting for an admin's review. You will get your link by DM once it is approved.
receipt-refused = Your receipt was not accepted. { $why } (This notice disappears in { $minutes } minutes.)

## The link

link-ready = Your VPN access is ready (order #{ $order }).
link-extended = Your subscription was extended (order #{ $order }).
link-provisional = Temporary access while your payment for order #{ $order } is reviewed: a part of the plan's traffic for a few days. When the payment is approved, this same link gets the whole plan.
link-import = Import this link in your VLESS client (v2rayNG, Hiddify, Streisand...) or scan the QR code:
link-subscription = Subscription URL:

## /status

status-none = You have no VPN subscription yet. Run `/order` to buy one.
status-stale = ⚠️ The VPN panel is unreachable right now, showing the last known data.
status-subscription = **Subscription:** { $status }
status-disabled = Your client is currently disabled on the server.
status-expires = **Expires:** { $when }
status-traffic = **Traffic:** { $used } used of { $limit }
status-import = Import this link in your VLESS client or scan the QR code:
sub-status-none = none
sub-status-active = active
sub-status-expired = expired
sub-status-revoked = revoked

## Notices (ticket or DM)

notice-delayed = { $mention }, your payment for order #{ $order } is approved. The VPN panel is briefly unavailable; your access is created automatically as soon as it is back, and you will get your link by DM.
notice-rejected = { $mention }, your receipt for order #{ $order } was rejected: { $reason }
    You can upload a new screenshot in this channel.
notice-closed = { $mention }, order #{ $order } is closed: { $reason }.
close-cancelled-customer = cancelled by you
close-cancelled-admin = cancelled by an admin
close-abandoned = no receipt arrived within { $hours } hours
close-ticket-deleted = the ticket channel was deleted
close-member-left = you left the server
close-no-ticket = the ticket channel could not be created
notice-reminder = Your VPN access ends { $when }. Run `/order` to renew: the days and traffic you have left are kept.
notice-expired = Your VPN access expired { $when } and was disabled. Run `/order` to renew.
notice-extended = An admin extended your VPN access by { days }; it now ends { $when }.
notice-revoked = An admin revoked your VPN access: { $reason }
reveal-offer = { $mention }, your access is ready, but your DMs are closed. Click the button: only you will see the link.

## Refusals

error-generic = Something went wrong on our side. Please try again in a minute; if it keeps happening, contact support.
error-not-found = { $what } was not found.
error-forbidden = You are not allowed to { $action }.
error-invalid-state = That is not possible right now: { $reason }
error-open-order = You already have an open order (#{ $order }); finish or cancel it first.
error-banned = You cannot place orders in this shop.
error-rate-limited = Too many requests; try again in { $seconds } s.
error-panel-unavailable = The VPN service is temporarily unavailable; please try again later.
error-duplicate-receipt = This receipt was already submitted before (order #{ $order }); upload your own payment receipt.
error-bad-receipt = This file cannot be accepted as a receipt: { $reason }
error-nothing-to-renew = You have no VPN access to renew yet; use `/order` to buy a plan.
error-choose-method = Choose a payment method first.
error-order-not-waiting = Order #{ $order } is no longer waiting for a payment.
error-guild-only = Use this command in the shop's server, not in direct messages.

## /help

help-text = **{ $shop }**
    1. Run `/order` and pick a plan: a private ticket channel opens for you.
    2. Pick a payment method in the ticket and follow the instructions.
    3. Upload a screenshot of your payment in the ticket.
    4. Once an admin approves it, you get your connection link by DM.

    • **Customers:** `/order` buys a plan · `/renew` adds a plan to your current access · `/status` shows your expiry, traffic and link again · `/language` picks the bot's language · `/trial` a free trial · `/referral` your referral code · `/gift` and `/redeem` gift subscriptions · `/help` shows this.
    • **Support:** sees every ticket and talks to customers there (cannot approve, reject, extend or revoke).
    • **Admins:** Approve / Reject on the review cards · `/admin extend` and `/admin revoke` a customer's access · `/admin user` and `/admin orders` look-ups · `/admin revenue` sales totals · `/admin health` the panel's state · `/admin transcript` a closed ticket's messages · `/admin panels` each panel's state and load · `/admin ban` and `/admin unban` · `/admin promo` promo codes · `/admin gift_revoke`.
    • **Owners:** everything admins can do · `/admin backup` backs the database up now · a DM when the panel goes down and when it is back.

## Commands (names are registered for Discord's `ru` locale only; English names are the code's)

cmd-order = order
    .description = Buy VPN access: pick a plan, then pay in your private ticket channel.
cmd-renew = renew
    .description = Extend your VPN access: pick a plan; the days are added to your current expiry.
cmd-status = status
    .description = Your VPN access: expiry, traffic used, and your connection link and QR code again.
cmd-help = help
    .description = How ordering works, and the commands for customers, support, admins and owners.
cmd-language = language
    .description = The language the bot answers you in (English, Russian, Persian).
cmd-language-choice = language
    .description = The language to use.

## Staff (review cards, approvals, owner alerts, /admin answers), in `shop.staff_language`

staff-card-title = Payment #{ $payment } — order #{ $order }
staff-card-customer = Customer
staff-card-plan = Plan
staff-card-price = Price
staff-card-method = Method
staff-card-kind = Order kind
staff-card-near = ⚠ Near duplicate
staff-card-near-text = looks like the receipt of payment #{ $earlier } (distance { $distance })
staff-button-approve = Approve
staff-button-reject = Reject
staff-button-confirm = Confirm
staff-button-cancel = Cancel
staff-by = by { $admin }
staff-review-pending = ⏳ Waiting for review
staff-review-approving = ⚙ Approved{ $by }; creating the access
staff-review-waiting = ⏸ Approved{ $by }; waiting for the panel
staff-review-approved = ✅ Approved{ $by }
staff-review-rejected = ❌ Rejected{ $by }
staff-review-cancelled = 🚫 Order cancelled
staff-approve-prompt = Approve payment #{ $payment }? The customer's access is created on the panel when you confirm. This confirmation expires { $expires }.
staff-confirming = ⏳ Confirming: creating the customer's access on the panel…
staff-approved = ✅ Payment #{ $payment } approved: client `{ $email }` is on the panel and the link is on its way to { $mention }.
staff-approve-delayed = ⏸ The panel is down: payment #{ $payment } is approved and completes on its own when the panel is back. The customer was told.
staff-approve-failed = ⚠ Provisioning payment #{ $payment } failed and was rolled back ({ $why }). The payment is pending again.
staff-not-approved = Not approved: { $why }
staff-approval-cancelled = Approval cancelled.
staff-reject-reason = Reason (the customer sees it)
staff-reject-title = Reject payment #{ $payment }
staff-rejected = Payment #{ $payment } rejected; the customer was told why.
staff-not-rejected = Not rejected: { $why }
staff-panel-down = ⚠ The VPN panel is down (failing since { $since }: { $error }). New orders are refused; approvals wait and complete on their own when it is back.
staff-panel-back = ✅ The VPN panel is back after { $after }. Waiting approvals are being completed.
staff-extended = Extended { $mention } by { days }: access now ends { $when }.
staff-revoked = Revoked the access of { $mention }.
staff-guild-full = ⚠ New tickets cannot be opened: the server has reached Discord's limit of 500 channels. Customers are told to try again later. Delete unused channels (old tickets, empty categories) to make room. This warning is not repeated until a ticket opens again.
staff-alert-access = ⚠ Discord refused the bot in { $channel }: it could not { $action }. Give the bot's role **{ $permission }** in that channel (Edit Channel → Permissions). The bot keeps retrying and catches up on its own once the permission is there.
staff-alert-delivery = ⚠ { $what } could not be delivered to { $mention } and was given up (delivery #{ $outbox }: { $error }). The customer paid: send it to them by hand (they can also see it with `/status`). `/admin health` lists such deliveries.

## Staff views: /admin user, orders, health, revenue, backup and the dashboard

staff-user-title = **Customer** { $mention }
staff-user-never = Never used the bot.
staff-user-subscription = Subscription: { $status }
staff-user-client = Panel client: `{ $email }`
staff-user-expires = Expires: { $when }
staff-user-limit = Traffic limit: { $limit }
staff-user-banned = Banned: { $why }
staff-user-no-reason = no reason
staff-user-no-order = No open order.
staff-user-open-order = Open order: { $order }
staff-orders-none = No orders are { $status }.
staff-orders-title = **Orders { $status }** (oldest first, at most { $max }):
staff-order-line = #{ $order } { $status } by { $mention }, { $plan } ({ $price }){ $ticket }, opened { $opened }
staff-order-ticket = in { $channel }
staff-revenue-title = 📊 Revenue — { $shop }
staff-revenue-today = Today ({ $key })
staff-revenue-month = Month ({ $key })
staff-revenue-quarter = Quarter ({ $key })
staff-revenue-year = Year ({ $key })
staff-revenue-zone = Shop time zone: { $zone }
staff-revenue-last-days = Last { $days } days
staff-revenue-report = Revenue report ({ $zone })
staff-revenue-chart = Chart: revenue per day in { $currency }, { $from } to { $to }
staff-sales = { $amount } ({ $sales ->
    [one] { $sales } sale
   *[other] { $sales } sales
})
staff-health-title = **Panel health**
staff-health-breaker = **Breaker:** { $line }
staff-health-panel = **Panel:** { $line }
staff-health-outbox = **Outbox:** { $line }
staff-health-backup = **Last backup:** { $line }
staff-backup-none = none yet
staff-links-failed = **⚠ Links not delivered** (send them by hand): { $list }
staff-link-failed-item = { $mention } (payment #{ $payment })
staff-breaker-ok = ✅ ok: the panel answers its health checks
staff-breaker-failing = ⚠️ ok, but the last { $failures } health check(s) failed: { $error }
staff-breaker-outage = 🔴 outage since { $since }: panel calls fail fast, new orders are refused{ $probing }. Last error: { $error }
staff-breaker-probing = (a health check is running)
staff-unknown-time = an unknown time
staff-unknown = unknown
staff-panel-skipped = not asked during the outage
staff-panel-failed = ⚠️ the status call failed: { $error }
staff-panel-version = version { $version }
staff-panel-version-unknown = version unknown (before v3.1)
staff-panel-status = { $version }, API { $generation }; Xray { $xray }{ $xray_version }; host up { $uptime }
staff-outbox-none = nothing waiting
staff-outbox-waiting = { $count ->
    [one] { $count } delivery waiting
   *[other] { $count } deliveries waiting
}, the oldest queued { $oldest }
staff-outbox-waiting-count = { $count } deliveries waiting
staff-outbox-failed = { $waiting }; { $count } given up (failed)
staff-backup-done = Backup written and verified: `{ $name }` ({ $size }, schema version { $schema }) in { $secs } s.{ $retention }
staff-backup-retention = { $count } old backup(s) deleted by retention.
staff-transcript-summary = Transcript of order #{ $order }: { $count } message(s).
staff-transcript-head = Ticket of order #{ $order } ({ $state })
staff-transcript-archived = archived { $when }
staff-transcript-open = the channel still exists
staff-transcript-attachment = attachment: { $name }

## Crypto Pay invoices (customer)

invoice-assets = { " " }(pay in { $assets })
invoice-head = Invoice #{ $invoice } for order #{ $order }: **{ $amount }**{ $assets }.
invoice-until = Pay before <t:{ $unix }:f> (<t:{ $unix }:R>).
invoice-how = Open the invoice in @CryptoBot and pay it; your access is created as soon as the payment arrives, no screenshot needed.
invoice-pay = Pay with Crypto Pay
invoice-check = I paid — check now
invoice-new = New invoice
invoice-waiting = The invoice for order #{ $order } is not paid yet. Once you pay it in @CryptoBot, your access is created automatically (checking again is fine).
invoice-paid = Payment received for order #{ $order }. Your link is on its way by DM.
invoice-paid-delayed = Payment received for order #{ $order }. The VPN panel is briefly unavailable; your access is created as soon as it is back and you will get your link by DM.
invoice-paid-failed = Payment received for order #{ $order }, but creating your access failed. Staff were told and will finish it; you do not need to pay again.
invoice-paid-creating = Payment received for order #{ $order }; your access is being created.
invoice-expired-reply = The invoice for order #{ $order } expired unpaid. Press **New invoice** (or pick the payment method again) to get a new one.
invoice-not-settled = A payment for order #{ $order } arrived but does not match the invoice (or the order was closed), so nothing was delivered automatically. Staff were told and will contact you; do not pay again.
invoice-not-crypto = Order #{ $order } is not paid by Crypto Pay.
notice-invoice-expired = { $mention }, the Crypto Pay invoice #{ $invoice } for order #{ $order } expired unpaid. Press **New invoice** to get a new one.
notice-invoice-not-settled = { $mention }, a payment for order #{ $order } arrived but does not match the invoice (or the order was closed), so nothing was delivered automatically. Staff were told and will contact you; do not pay again.
error-provider-unavailable = { $provider } cannot be reached right now; your order is kept, please try again in a few minutes.

## Trials, promo codes, referrals, gifts, bans (customer)

gift-off = this shop sells no gifts
gift-prompt = Which plan would you like to give? You pay in your ticket; the code comes by DM.
promo-malformed = a promo code is 4 to 32 letters, digits, '_' or '-'
free-trial = Your free trial
free-gift = Your gift
free-code = Your code covers the whole of order #{ $order }: your access
free-ready = { $what } is ready: your link is on its way by DM.
free-delayed = { $what } is on its way: the VPN panel is briefly unavailable, and you will get your link by DM as soon as it is back.
free-failed = { $what } could not be created right now; staff were told and will finish it. You do not need to do anything.
free-creating = { $what } is being created; you will get your link by DM.
referral-code = Your referral code:
referral-how = A friend who enters it with `/referral code:` before their first order brings you { days } of VPN access when their first payment is approved.
referral-bound = Done: { $mention } brought you here. Enjoy your first order!
notice-gift = Your gift (order #{ $order }) is ready. Give this code to the person it is for; they redeem it with `/redeem` before { $until }. It works once, and only for someone else:
notice-banned = You can no longer order in this shop (orders, renewals, trials, gifts and referrals are refused): { $reason }
notice-unbanned = Your ban was lifted: you can order in this shop again.
notice-referral-reward = Thanks for bringing a friend: { days } were added to your VPN access; it now ends { $when }.
reject-code-amount-mismatch = the amount does not match the price
reject-code-unreadable = the receipt cannot be read
reject-code-wrong-recipient = the payment went to the wrong recipient
reject-code-duplicate = this receipt was used before
reject-code-other = other reason

## Staff: Crypto Pay, rejections with a reason, promo codes, bans, gifts

staff-card-paid-by = Paid by
staff-card-paid-by-crypto = Crypto Pay invoice (checked by the bot)
staff-card-automatic = { " " }· automatic (Crypto Pay)
staff-alert-invoice = ⚠ Crypto Pay invoice #{ $invoice } (order #{ $order }, { $mention }) was paid but not settled: { $reason }. Nothing was delivered. Check the payment in @CryptoBot, then refund it or serve the customer by hand (`/admin extend`).
staff-reject-why = Why is payment #{ $payment } rejected?
staff-reject-placeholder = Choose a reason
staff-reject-and-ban = { $reason } — and ban the customer
staff-reject-title-ban = Reject payment #{ $payment } and ban
staff-rejected-banned = Payment #{ $payment } rejected and the customer banned; they were told why.
staff-promo-none = No promo codes yet. Create one with `/admin promo create`.
staff-promo-percent = { $value } % off
staff-promo-days = +{ days }
staff-promo-plan = plan { $plan } free
staff-promo-uses = { $uses } uses
staff-promo-disabled = { " " }· disabled
staff-promo-created = Created: { $code }
staff-promo-disabled-now = `{ $code }` is disabled.
staff-banned = { $mention } is banned.
staff-banned-revoked = { $mention } is banned and their access revoked.
staff-unbanned = { $mention } may order again.
staff-gift-revoked = Gift #{ $gift } (bought by { $mention }) is revoked.

## Growth refusals (customer)

refused-trial-off = This shop offers no trial.
refused-trial-already = You already had your free trial.
refused-trial-not-new = The trial is for new customers; use /renew.
refused-referrals-off = This shop has no referral programme.
refused-referral-own = You cannot use your own referral code.
refused-referral-already = You already used a referral code.
refused-referral-not-first = Referral codes are for a customer's first order.
refused-gifts-off = This shop has no gifts.
refused-gift-too-new = Your Discord account is too new to redeem a gift.
refused-gift-invalid = This gift code is not valid.
refused-gift-redeemed = This gift was redeemed already.
refused-gift-revoked = This gift was revoked.
refused-gift-expired = This gift code has expired.
refused-gift-own = A gift is for someone else: you cannot redeem your own.
refused-gift-plan-gone = The plan of this gift is no longer sold; ask staff.
refused-banned = You cannot order in this shop: { $reason }

## Backends: first-use activation, failover (customer) and per-panel alerts (staff)

notice-activation-started = Your { days } of VPN access have started; they end { $when }.
notice-panel-moved = Your VPN server was down, so your access moved to another one. Your new link:
staff-alert-panel-down = ⚠ Panel `{ $panel }` is down ({ $detail }). New customers go to the other panels; its own customers wait, or move after `backends.failover_after_minutes`.
staff-alert-panel-back = ✅ Panel `{ $panel }` is back ({ $detail }).
