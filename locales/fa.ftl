# vpn-ticket-bot: Persian. Discord has no Persian client locale: only a stored `/language` choice
# selects this catalog. Links and codes are arguments or code blocks, never translated.

language-set = از این پس ربات به فارسی به شما پاسخ می‌دهد.

## Time and amounts

when-never = هرگز
when-at = در { $time }
when-first-use = { $days ->
    [one] { $days } روز پس از اولین اتصال شما
   *[other] { $days } روز پس از اولین اتصال شما
}
days = { $days ->
    [one] { $days } روز
   *[other] { $days } روز
}
traffic-unlimited = ترافیک نامحدود
traffic-gib = { $gib } گیگابایت
plan-line = { days }، { $traffic }، { $price }
unlimited = نامحدود
unknown = نامشخص

## Ordering

order-prompt = کدام طرح را می‌خواهید؟
renew-prompt = دسترسی VPN شما ({ $status }) { $ends }. کدام طرح را اضافه کنیم؟ روزهای آن به روزهای باقی‌مانده اضافه می‌شود.
renew-ends-never = هرگز تمام نمی‌شود
renew-ends-at = { $when } تمام می‌شود
renew-ends-unknown = تاریخ پایان مشخصی ندارد
plan-select-placeholder = یک طرح انتخاب کنید
method-select-placeholder = یک روش پرداخت انتخاب کنید
button-cancel-order = لغو سفارش
button-show-link = نمایش لینک من
ticket-opened = تیکت شما باز شد: { $channel }. در آنجا ادامه دهید.
ticket-capacity = در حال حاضر ظرفیت تکمیل است: سرور جای کانال تیکت دیگری ندارد، پس سفارش شما باز نشد. لطفاً بعداً دوباره تلاش کنید یا با پشتیبانی تماس بگیرید.
ticket-welcome = { $mention }، به تیکت خود خوش آمدید.
ticket-title = سفارش #{ $order }
ticket-description = یک روش پرداخت را در زیر انتخاب کنید، پرداخت کنید و سپس تصویر رسید پرداخت را اینجا بارگذاری کنید.
ticket-field-plan = طرح
ticket-field-details = جزئیات
method-footer = پس از پرداخت، تصویر رسید را در همین کانال بارگذاری کنید.
order-cancelled = سفارش #{ $order } لغو شد.
receipt-accepted = متشکریم! رسید شما دریافت شد و منتظر بررسی مدیر است. پس از تأیید، لینک را در پیام خصوصی دریافت می‌کنید.
receipt-refused = رسید شما پذیرفته نشد. { $why } (این پیام پس از { $minutes } دقیقه حذف می‌شود.)

## The link

link-ready = دسترسی VPN شما آماده است (سفارش #{ $order }).
link-extended = اشتراک شما تمدید شد (سفارش #{ $order }).
link-provisional = دسترسی موقت تا زمان بررسی پرداخت سفارش #{ $order }: بخشی از ترافیک طرح برای چند روز. پس از تأیید پرداخت، همین لینک کل طرح را می‌گیرد.
link-import = این لینک را در برنامهٔ VLESS خود (v2rayNG، Hiddify، Streisand...) وارد کنید یا کد QR را اسکن کنید:
link-subscription = لینک اشتراک:

## /status

status-none = شما هنوز اشتراک VPN ندارید. برای خرید، `/order` را اجرا کنید.
status-stale = ⚠️ پنل VPN در حال حاضر در دسترس نیست؛ آخرین اطلاعات موجود نمایش داده می‌شود.
status-subscription = **اشتراک:** { $status }
status-disabled = کلاینت شما در حال حاضر روی سرور غیرفعال است.
status-expires = **انقضا:** { $when }
status-traffic = **ترافیک:** { $used } مصرف‌شده از { $limit }
status-import = این لینک را در برنامهٔ VLESS خود وارد کنید یا کد QR را اسکن کنید:
sub-status-none = ندارد
sub-status-active = فعال
sub-status-expired = منقضی
sub-status-revoked = لغوشده

## Notices (ticket or DM)

notice-delayed = { $mention }، پرداخت سفارش #{ $order } تأیید شد. پنل VPN موقتاً در دسترس نیست؛ دسترسی شما به محض بازگشت آن خودکار ساخته می‌شود و لینک را در پیام خصوصی دریافت می‌کنید.
notice-rejected = { $mention }، رسید سفارش #{ $order } رد شد: { $reason }
    می‌توانید تصویر جدیدی در همین کانال بارگذاری کنید.
notice-closed = { $mention }، سفارش #{ $order } بسته شد: { $reason }.
close-cancelled-customer = توسط شما لغو شد
close-cancelled-admin = توسط مدیر لغو شد
close-abandoned = در { $hours } ساعت رسیدی دریافت نشد
close-ticket-deleted = کانال تیکت حذف شد
close-member-left = شما سرور را ترک کردید
close-no-ticket = کانال تیکت ساخته نشد
notice-reminder = دسترسی VPN شما { $when } تمام می‌شود. برای تمدید `/order` را اجرا کنید: روزها و ترافیک باقی‌مانده حفظ می‌شود.
notice-expired = دسترسی VPN شما { $when } منقضی و غیرفعال شد. برای تمدید `/order` را اجرا کنید.
notice-extended = یک مدیر دسترسی VPN شما را { days } تمدید کرد؛ اکنون { $when } تمام می‌شود.
notice-revoked = یک مدیر دسترسی VPN شما را لغو کرد: { $reason }
reveal-offer = { $mention }، دسترسی شما آماده است، اما پیام‌های خصوصی شما بسته است. روی دکمه کلیک کنید: فقط شما لینک را می‌بینید.

## Refusals

error-generic = مشکلی در سمت ما پیش آمد. لطفاً یک دقیقه دیگر دوباره تلاش کنید؛ اگر تکرار شد، با پشتیبانی تماس بگیرید.
error-not-found = پیدا نشد: { $what }.
error-forbidden = شما اجازهٔ این کار را ندارید.
error-invalid-state = این کار اکنون ممکن نیست: { $reason }
error-open-order = شما یک سفارش باز دارید (#{ $order })؛ ابتدا آن را تمام یا لغو کنید.
error-banned = شما نمی‌توانید در این فروشگاه سفارش دهید.
error-rate-limited = درخواست‌ها بیش از حد است؛ { $seconds } ثانیهٔ دیگر تلاش کنید.
error-panel-unavailable = سرویس VPN موقتاً در دسترس نیست؛ لطفاً بعداً تلاش کنید.
error-duplicate-receipt = این رسید قبلاً ارسال شده است (سفارش #{ $order })؛ رسید پرداخت خودتان را بارگذاری کنید.
error-bad-receipt = این فایل به‌عنوان رسید پذیرفته نمی‌شود: { $reason }
error-nothing-to-renew = شما هنوز دسترسی VPN برای تمدید ندارید؛ برای خرید طرح از `/order` استفاده کنید.
error-choose-method = ابتدا یک روش پرداخت انتخاب کنید.
error-order-not-waiting = سفارش #{ $order } دیگر منتظر پرداخت نیست.
error-guild-only = این دستور را در سرور فروشگاه اجرا کنید، نه در پیام خصوصی.

## /help

help-text = **{ $shop }**
    ۱. `/order` را اجرا کنید و یک طرح انتخاب کنید: یک کانال تیکت خصوصی برای شما باز می‌شود.
    ۲. در تیکت یک روش پرداخت انتخاب کنید و دستورالعمل را دنبال کنید.
    ۳. تصویر رسید پرداخت را در تیکت بارگذاری کنید.
    ۴. پس از تأیید مدیر، لینک اتصال را در پیام خصوصی دریافت می‌کنید.

    • **مشتریان:** `/order` خرید طرح · `/renew` افزودن طرح به دسترسی فعلی · `/status` انقضا، ترافیک و لینک · `/language` زبان ربات · `/trial` دوره آزمایشی · `/referral` کد معرفی · `/gift` و `/redeem` هدیه · `/help` همین راهنما.
    • **پشتیبانی:** همهٔ تیکت‌ها را می‌بیند و با مشتریان گفتگو می‌کند (نمی‌تواند تأیید، رد، تمدید یا لغو کند).
    • **مدیران:** Approve / Reject روی کارت‌های بررسی · `/admin extend` و `/admin revoke` دسترسی مشتری · `/admin user` و `/admin orders` جستجو · `/admin revenue` فروش · `/admin health` وضعیت پنل · `/admin transcript` پیام‌های تیکت بسته‌شده · `/admin panels` وضعیت و بار پنل‌ها · `/admin ban` و `/admin unban` · `/admin promo` کدهای تخفیف · `/admin gift_revoke`.
    • **مالکان:** هر کاری که مدیران می‌توانند · `/admin backup` پشتیبان‌گیری فوری از پایگاه داده · پیام خصوصی هنگام قطع و وصل شدن پنل.

## Commands (never registered: Discord has no Persian locale; kept so every id is in every file)

cmd-order = order
    .description = خرید دسترسی VPN: یک طرح انتخاب کنید و در تیکت خصوصی خود پرداخت کنید.
cmd-renew = renew
    .description = تمدید دسترسی VPN: یک طرح انتخاب کنید؛ روزهای آن به انقضای فعلی اضافه می‌شود.
cmd-status = status
    .description = دسترسی VPN شما: انقضا، ترافیک مصرفی، و لینک و کد QR.
cmd-help = help
    .description = نحوهٔ سفارش و دستورات مشتریان، پشتیبانی، مدیران و مالکان.
cmd-language = language
    .description = زبانی که ربات با آن پاسخ می‌دهد (انگلیسی، روسی، فارسی).
cmd-language-choice = language
    .description = زبان مورد نظر.

## Staff (review cards, approvals, owner alerts, /admin answers), in `shop.staff_language`

staff-card-title = پرداخت #{ $payment } — سفارش #{ $order }
staff-card-customer = مشتری
staff-card-plan = طرح
staff-card-price = مبلغ
staff-card-method = روش
staff-card-kind = نوع سفارش
staff-card-near = ⚠ تقریباً تکراری
staff-card-near-text = شبیه رسید پرداخت #{ $earlier } است (فاصله { $distance })
staff-button-approve = تأیید
staff-button-reject = رد
staff-button-confirm = تأیید نهایی
staff-button-cancel = انصراف
staff-by = توسط { $admin }
staff-review-pending = ⏳ در انتظار بررسی
staff-review-approving = ⚙ تأیید شد{ $by }؛ در حال ساخت دسترسی
staff-review-waiting = ⏸ تأیید شد{ $by }؛ در انتظار پنل
staff-review-approved = ✅ تأیید شد{ $by }
staff-review-rejected = ❌ رد شد{ $by }
staff-review-cancelled = 🚫 سفارش لغو شد
staff-approve-prompt = پرداخت #{ $payment } تأیید شود؟ پس از تأیید نهایی، دسترسی مشتری روی پنل ساخته می‌شود. این تأیید { $expires } منقضی می‌شود.
staff-confirming = ⏳ در حال تأیید: ساخت دسترسی مشتری روی پنل…
staff-approved = ✅ پرداخت #{ $payment } تأیید شد: کلاینت `{ $email }` روی پنل است و لینک برای { $mention } ارسال می‌شود.
staff-approve-delayed = ⏸ پنل در دسترس نیست: پرداخت #{ $payment } تأیید شد و پس از بازگشت پنل خودکار کامل می‌شود. به مشتری اطلاع داده شد.
staff-approve-failed = ⚠ ساخت دسترسی برای پرداخت #{ $payment } ناموفق بود و برگردانده شد ({ $why }). پرداخت دوباره در انتظار بررسی است.
staff-not-approved = تأیید نشد: { $why }
staff-approval-cancelled = تأیید لغو شد.
staff-reject-reason = دلیل (مشتری آن را می‌بیند)
staff-reject-title = رد پرداخت #{ $payment }
staff-rejected = پرداخت #{ $payment } رد شد؛ دلیل به مشتری گفته شد.
staff-not-rejected = رد نشد: { $why }
staff-panel-down = ⚠ پنل VPN از دسترس خارج است (خطا از { $since }: { $error }). سفارش‌های جدید پذیرفته نمی‌شوند؛ تأییدها منتظر می‌مانند و پس از بازگشت پنل خودکار کامل می‌شوند.
staff-panel-back = ✅ پنل VPN پس از { $after } برگشت. تأییدهای در انتظار در حال تکمیل هستند.
staff-extended = دسترسی { $mention } به مدت { days } تمدید شد: اکنون { $when } تمام می‌شود.
staff-revoked = دسترسی { $mention } لغو شد.
staff-guild-full = ⚠ تیکت جدید باز نمی‌شود: سرور به سقف ۵۰۰ کانال دیسکورد رسیده است. به مشتریان گفته می‌شود بعداً تلاش کنند. کانال‌های بی‌استفاده (تیکت‌های قدیمی، دسته‌های خالی) را حذف کنید. این هشدار تا باز شدن تیکت بعدی تکرار نمی‌شود.
staff-alert-access = ⚠ دیسکورد ربات را در { $channel } رد کرد: نتوانست { $action }. به نقش ربات در آن کانال مجوز **{ $permission }** بدهید (ویرایش کانال ← مجوزها). ربات دوباره تلاش می‌کند و پس از دادن مجوز خودش جبران می‌کند.
staff-alert-delivery = ⚠ { $what } به { $mention } تحویل نشد و کنار گذاشته شد (تحویل #{ $outbox }: { $error }). مشتری پرداخت کرده است: آن را دستی بفرستید (او با `/status` هم می‌تواند ببیند). `/admin health` این موارد را فهرست می‌کند.

## Staff views: /admin user, orders, health, revenue, backup and the dashboard

staff-user-title = **مشتری** { $mention }
staff-user-never = هرگز از ربات استفاده نکرده است.
staff-user-subscription = اشتراک: { $status }
staff-user-client = کلاینت پنل: `{ $email }`
staff-user-expires = انقضا: { $when }
staff-user-limit = سقف ترافیک: { $limit }
staff-user-banned = مسدود: { $why }
staff-user-no-reason = بدون دلیل
staff-user-no-order = سفارش بازی ندارد.
staff-user-open-order = سفارش باز: { $order }
staff-orders-none = هیچ سفارشی در وضعیت { $status } نیست.
staff-orders-title = **سفارش‌های { $status }** (قدیمی‌ترین اول، حداکثر { $max }):
staff-order-line = #{ $order } { $status } از { $mention }، { $plan } ({ $price }){ $ticket }، باز شده { $opened }
staff-order-ticket = در { $channel }
staff-revenue-title = 📊 درآمد — { $shop }
staff-revenue-today = امروز ({ $key })
staff-revenue-month = ماه ({ $key })
staff-revenue-quarter = فصل ({ $key })
staff-revenue-year = سال ({ $key })
staff-revenue-zone = منطقهٔ زمانی فروشگاه: { $zone }
staff-revenue-last-days = { $days } روز اخیر
staff-revenue-report = گزارش درآمد ({ $zone })
staff-revenue-chart = نمودار: درآمد روزانه به { $currency }، از { $from } تا { $to }
staff-sales = { $amount } ({ $sales } فروش)
staff-health-title = **وضعیت پنل**
staff-health-breaker = **قطع‌کننده:** { $line }
staff-health-panel = **پنل:** { $line }
staff-health-outbox = **صف تحویل:** { $line }
staff-health-backup = **آخرین پشتیبان:** { $line }
staff-backup-none = هنوز ندارد
staff-links-failed = **⚠ لینک‌های تحویل‌نشده** (دستی بفرستید): { $list }
staff-link-failed-item = { $mention } (پرداخت #{ $payment })
staff-breaker-ok = ✅ سالم: پنل به بررسی‌ها پاسخ می‌دهد
staff-breaker-failing = ⚠️ سالم، اما { $failures } بررسی آخر ناموفق بود: { $error }
staff-breaker-outage = 🔴 قطعی از { $since }: درخواست‌های پنل فوراً رد می‌شوند و سفارش جدید پذیرفته نمی‌شود{ $probing }. آخرین خطا: { $error }
staff-breaker-probing = (یک بررسی در جریان است)
staff-unknown-time = زمانی نامشخص
staff-unknown = نامشخص
staff-panel-skipped = هنگام قطعی پرسیده نشد
staff-panel-failed = ⚠️ درخواست وضعیت ناموفق بود: { $error }
staff-panel-version = نسخهٔ { $version }
staff-panel-version-unknown = نسخه نامشخص (پیش از v3.1)
staff-panel-status = { $version }، API { $generation }؛ Xray { $xray }{ $xray_version }؛ میزبان روشن از { $uptime }
staff-outbox-none = چیزی در صف نیست
staff-outbox-waiting = { $count } تحویل در صف، قدیمی‌ترین { $oldest }
staff-outbox-waiting-count = { $count } تحویل در صف
staff-outbox-failed = { $waiting }؛ { $count } کنار گذاشته شد
staff-backup-done = پشتیبان نوشته و بررسی شد: `{ $name }` ({ $size }، نسخهٔ طرح { $schema }) در { $secs } ثانیه.{ $retention }
staff-backup-retention = { $count } پشتیبان قدیمی طبق نگهداری حذف شد.
staff-transcript-summary = گفتگوی سفارش #{ $order }: { $count } پیام.
staff-transcript-head = تیکت سفارش #{ $order } ({ $state })
staff-transcript-archived = بایگانی شده در { $when }
staff-transcript-open = کانال هنوز وجود دارد
staff-transcript-attachment = پیوست: { $name }

## Crypto Pay invoices (customer)

invoice-assets = { " " }(پرداخت با { $assets })
invoice-head = صورت‌حساب #{ $invoice } برای سفارش #{ $order }: **{ $amount }**{ $assets }.
invoice-until = پیش از <t:{ $unix }:f> پرداخت کنید (<t:{ $unix }:R>).
invoice-how = صورت‌حساب را در @CryptoBot باز کنید و بپردازید؛ دسترسی شما به محض رسیدن پرداخت ساخته می‌شود و به اسکرین‌شات نیازی نیست.
invoice-pay = پرداخت با Crypto Pay
invoice-check = پرداخت کردم — بررسی کن
invoice-new = صورت‌حساب جدید
invoice-waiting = صورت‌حساب سفارش #{ $order } هنوز پرداخت نشده است. به محض پرداخت در @CryptoBot، دسترسی شما خودکار ساخته می‌شود (بررسی دوباره اشکالی ندارد).
invoice-paid = پرداخت سفارش #{ $order } دریافت شد. لینک شما در پیام خصوصی می‌آید.
invoice-paid-delayed = پرداخت سفارش #{ $order } دریافت شد. پنل VPN کوتاه‌مدت در دسترس نیست؛ به محض بازگشت، دسترسی شما ساخته و لینک در پیام خصوصی فرستاده می‌شود.
invoice-paid-failed = پرداخت سفارش #{ $order } دریافت شد، اما ساخت دسترسی شما ناموفق بود. به کارکنان اطلاع داده شد و آن را تکمیل می‌کنند؛ نیازی به پرداخت دوباره نیست.
invoice-paid-creating = پرداخت سفارش #{ $order } دریافت شد؛ دسترسی شما در حال ساخت است.
invoice-expired-reply = مهلت صورت‌حساب سفارش #{ $order } بدون پرداخت تمام شد. برای دریافت صورت‌حساب تازه **صورت‌حساب جدید** را بزنید (یا دوباره روش پرداخت را انتخاب کنید).
invoice-not-settled = پرداختی برای سفارش #{ $order } رسید اما با صورت‌حساب مطابقت ندارد (یا سفارش بسته شده بود)، پس چیزی خودکار تحویل نشد. به کارکنان اطلاع داده شد و با شما تماس می‌گیرند؛ دوباره پرداخت نکنید.
invoice-not-crypto = سفارش #{ $order } با Crypto Pay پرداخت نمی‌شود.
notice-invoice-expired = { $mention }، مهلت صورت‌حساب Crypto Pay #{ $invoice } برای سفارش #{ $order } بدون پرداخت تمام شد. برای دریافت صورت‌حساب تازه **صورت‌حساب جدید** را بزنید.
notice-invoice-not-settled = { $mention }، پرداختی برای سفارش #{ $order } رسید اما با صورت‌حساب مطابقت ندارد (یا سفارش بسته شده بود)، پس چیزی خودکار تحویل نشد. به کارکنان اطلاع داده شد و با شما تماس می‌گیرند؛ دوباره پرداخت نکنید.
error-provider-unavailable = اکنون دسترسی به { $provider } ممکن نیست؛ سفارش شما حفظ شده است، چند دقیقه دیگر دوباره امتحان کنید.

## Trials, promo codes, referrals, gifts, bans (customer)

gift-off = این فروشگاه هدیه نمی‌فروشد
gift-prompt = کدام طرح را می‌خواهید هدیه دهید؟ پرداخت در تیکت شماست؛ کد در پیام خصوصی می‌آید.
promo-malformed = کد تخفیف ۴ تا ۳۲ حرف، رقم، '_' یا '-' است
free-trial = دوره آزمایشی رایگان شما
free-gift = هدیه شما
free-code = کد شما کل سفارش #{ $order } را پوشش می‌دهد: دسترسی شما
free-ready = { $what } آماده است: لینک شما در پیام خصوصی می‌آید.
free-delayed = { $what } در راه است: پنل VPN کوتاه‌مدت در دسترس نیست و به محض بازگشت، لینک را در پیام خصوصی دریافت می‌کنید.
free-failed = { $what } اکنون ساخته نشد؛ به کارکنان اطلاع داده شد و آن را تکمیل می‌کنند. لازم نیست کاری بکنید.
free-creating = { $what } در حال ساخت است؛ لینک را در پیام خصوصی دریافت می‌کنید.
referral-code = کد معرفی شما:
referral-how = دوستی که پیش از نخستین سفارش خود آن را با `/referral code:` وارد کند، پس از تأیید نخستین پرداختش { days } دسترسی VPN برای شما می‌آورد.
referral-bound = انجام شد: { $mention } شما را معرفی کرد. از نخستین سفارش خود لذت ببرید!
notice-gift = هدیه شما (سفارش #{ $order }) آماده است. این کد را به کسی که هدیه برای اوست بدهید؛ او آن را پیش از { $until } با `/redeem` فعال می‌کند. کد یک بار و فقط برای شخص دیگری کار می‌کند:
notice-banned = دیگر نمی‌توانید در این فروشگاه سفارش دهید (سفارش، تمدید، دوره آزمایشی، هدیه و معرفی پذیرفته نمی‌شود): { $reason }
notice-unbanned = مسدودیت شما برداشته شد: دوباره می‌توانید در این فروشگاه سفارش دهید.
notice-referral-reward = سپاس که دوستی را آوردید: { days } به دسترسی VPN شما افزوده شد؛ اکنون { $when } تمام می‌شود.
reject-code-amount-mismatch = مبلغ با قیمت مطابقت ندارد
reject-code-unreadable = رسید خوانا نیست
reject-code-wrong-recipient = پرداخت به گیرنده اشتباه رفته است
reject-code-duplicate = این رسید پیش‌تر استفاده شده است
reject-code-other = دلیل دیگر

## Staff: Crypto Pay, rejections with a reason, promo codes, bans, gifts

staff-card-paid-by = پرداخت با
staff-card-paid-by-crypto = صورت‌حساب Crypto Pay (بررسی‌شده توسط ربات)
staff-card-automatic = { " " }· خودکار (Crypto Pay)
staff-alert-invoice = ⚠ صورت‌حساب Crypto Pay #{ $invoice } (سفارش #{ $order }، { $mention }) پرداخت شد اما تسویه نشد: { $reason }. چیزی تحویل نشد. پرداخت را در @CryptoBot بررسی کنید، سپس آن را بازگردانید یا مشتری را دستی راه بیندازید (`/admin extend`).
staff-reject-why = چرا پرداخت #{ $payment } رد می‌شود؟
staff-reject-placeholder = یک دلیل انتخاب کنید
staff-reject-and-ban = { $reason } — و مسدود کردن مشتری
staff-reject-title-ban = رد پرداخت #{ $payment } و مسدودسازی
staff-rejected-banned = پرداخت #{ $payment } رد و مشتری مسدود شد؛ دلیل به او گفته شد.
staff-promo-none = هنوز کد تخفیفی نیست. با `/admin promo create` بسازید.
staff-promo-percent = { $value } ٪ تخفیف
staff-promo-days = +{ days }
staff-promo-plan = طرح { $plan } رایگان
staff-promo-uses = { $uses } استفاده
staff-promo-disabled = { " " }· غیرفعال
staff-promo-created = ساخته شد: { $code }
staff-promo-disabled-now = `{ $code }` غیرفعال شد.
staff-banned = { $mention } مسدود شد.
staff-banned-revoked = { $mention } مسدود و دسترسی‌اش لغو شد.
staff-unbanned = { $mention } دوباره می‌تواند سفارش دهد.
staff-gift-revoked = هدیه #{ $gift } (خریدار { $mention }) لغو شد.

## Growth refusals (customer)

refused-trial-off = این فروشگاه دوره آزمایشی ندارد.
refused-trial-already = شما پیش‌تر از دوره آزمایشی رایگان استفاده کرده‌اید.
refused-trial-not-new = دوره آزمایشی برای مشتریان جدید است؛ از /renew استفاده کنید.
refused-referrals-off = این فروشگاه برنامه معرفی ندارد.
refused-referral-own = نمی‌توانید از کد معرفی خودتان استفاده کنید.
refused-referral-already = شما پیش‌تر یک کد معرفی استفاده کرده‌اید.
refused-referral-not-first = کدهای معرفی فقط برای نخستین سفارش مشتری است.
refused-gifts-off = این فروشگاه هدیه ندارد.
refused-gift-too-new = حساب Discord شما برای فعال‌سازی هدیه خیلی تازه است.
refused-gift-invalid = این کد هدیه معتبر نیست.
refused-gift-redeemed = این هدیه پیش‌تر فعال شده است.
refused-gift-revoked = این هدیه لغو شده است.
refused-gift-expired = مهلت این کد هدیه تمام شده است.
refused-gift-own = هدیه برای شخص دیگری است: نمی‌توانید هدیه خودتان را فعال کنید.
refused-gift-plan-gone = طرح این هدیه دیگر فروخته نمی‌شود؛ از کارکنان بپرسید.
refused-banned = نمی‌توانید در این فروشگاه سفارش دهید: { $reason }

## Backends: first-use activation, failover (customer) and per-panel alerts (staff)

notice-activation-started = { days } دسترسی VPN شما آغاز شد؛ { $when } تمام می‌شود.
notice-panel-moved = سرور VPN شما از دسترس خارج بود، پس دسترسی شما به سرور دیگری منتقل شد. لینک جدید شما:
staff-alert-panel-down = ⚠ پنل `{ $panel }` از دسترس خارج است ({ $detail }). مشتریان جدید به پنل‌های دیگر می‌روند؛ مشتریان خودش منتظر می‌مانند یا پس از `backends.failover_after_minutes` منتقل می‌شوند.
staff-alert-panel-back = ✅ پنل `{ $panel }` دوباره کار می‌کند ({ $detail }).
