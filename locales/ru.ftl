# vpn-ticket-bot: Russian. Plurals use CLDR's one / few / many / other (1 день, 2 дня, 5 дней).

language-set = Теперь бот отвечает вам по-русски.

## Time and amounts

when-never = никогда
when-at = { $time }
when-first-use = { $days ->
    [one] через { $days } день после первого подключения
    [few] через { $days } дня после первого подключения
   *[many] через { $days } дней после первого подключения
}
days = { $days ->
    [one] { $days } день
    [few] { $days } дня
    [many] { $days } дней
   *[other] { $days } дня
}
traffic-unlimited = безлимитный трафик
traffic-gib = { $gib } ГиБ
plan-line = { days }, { $traffic }, { $price }
unlimited = без ограничений
unknown = неизвестно

## Ordering

order-prompt = Какой тариф вы хотите?
renew-prompt = Ваш доступ к VPN ({ $status }) { $ends }. Какой тариф добавить? Его дни прибавятся к оставшимся.
renew-ends-never = бессрочный
renew-ends-at = заканчивается { $when }
renew-ends-unknown = без известной даты окончания
plan-select-placeholder = Выберите тариф
method-select-placeholder = Выберите способ оплаты
button-cancel-order = Отменить заказ
button-show-link = Показать мою ссылку
ticket-opened = Ваш тикет открыт: { $channel }. Продолжайте там.
ticket-capacity = Сейчас мы не можем принять заказ: на сервере больше нет места для канала тикета, поэтому заказ не открыт. Попробуйте позже или напишите сотрудникам.
ticket-welcome = { $mention }, добро пожаловать в ваш тикет.
ticket-title = Заказ №{ $order }
ticket-description = Выберите способ оплаты ниже, оплатите, затем загрузите сюда скриншот оплаты.
ticket-field-plan = Тариф
ticket-field-details = Подробности
method-footer = После оплаты загрузите скриншот платежа в этот канал.
order-cancelled = Заказ №{ $order } отменён.
receipt-accepted = Спасибо! Чек получен и ждёт проверки администратором. Ссылку вы получите в личные сообщения после одобрения.
receipt-refused = Чек не принят. { $why } (Это сообщение исчезнет через { $minutes } мин.)

## The link

link-ready = Ваш доступ к VPN готов (заказ №{ $order }).
link-extended = Ваша подписка продлена (заказ №{ $order }).
link-provisional = Временный доступ, пока проверяется оплата заказа №{ $order }: часть трафика тарифа на несколько дней. Когда оплату одобрят, эта же ссылка получит весь тариф.
link-import = Импортируйте эту ссылку в VLESS-клиент (v2rayNG, Hiddify, Streisand...) или отсканируйте QR-код:
link-subscription = Ссылка на подписку:

## /status

status-none = У вас пока нет подписки на VPN. Выполните `/order`, чтобы купить её.
status-stale = ⚠️ Панель VPN сейчас недоступна, показаны последние известные данные.
status-subscription = **Подписка:** { $status }
status-disabled = Ваш клиент сейчас отключён на сервере.
status-expires = **Действует до:** { $when }
status-traffic = **Трафик:** использовано { $used } из { $limit }
status-import = Импортируйте эту ссылку в VLESS-клиент или отсканируйте QR-код:
sub-status-none = нет
sub-status-active = активна
sub-status-expired = истекла
sub-status-revoked = отозвана

## Notices (ticket or DM)

notice-delayed = { $mention }, оплата заказа №{ $order } одобрена. Панель VPN ненадолго недоступна; доступ будет создан автоматически, как только она вернётся, и ссылка придёт вам в личные сообщения.
notice-rejected = { $mention }, чек по заказу №{ $order } отклонён: { $reason }
    Вы можете загрузить новый скриншот в этот канал.
notice-closed = { $mention }, заказ №{ $order } закрыт: { $reason }.
close-cancelled-customer = вы отменили его
close-cancelled-admin = его отменил администратор
close-abandoned = чек не поступил за { $hours ->
    [one] { $hours } час
    [few] { $hours } часа
   *[many] { $hours } часов
}
close-ticket-deleted = канал тикета был удалён
close-member-left = вы покинули сервер
close-no-ticket = не удалось создать канал тикета
notice-reminder = Ваш доступ к VPN заканчивается { $when }. Выполните `/order`, чтобы продлить: оставшиеся дни и трафик сохранятся.
notice-expired = Ваш доступ к VPN истёк { $when } и был отключён. Выполните `/order`, чтобы продлить.
notice-extended = Администратор продлил ваш доступ к VPN на { days }; теперь он заканчивается { $when }.
notice-revoked = Администратор отозвал ваш доступ к VPN: { $reason }
reveal-offer = { $mention }, ваш доступ готов, но ваши личные сообщения закрыты. Нажмите кнопку: ссылку увидите только вы.

## Refusals

error-generic = Что-то пошло не так на нашей стороне. Попробуйте через минуту; если ошибка повторяется, обратитесь в поддержку.
error-not-found = Не найдено: { $what }.
error-forbidden = У вас нет прав на это действие.
error-invalid-state = Сейчас это невозможно: { $reason }
error-open-order = У вас уже есть открытый заказ (№{ $order }); завершите или отмените его.
error-banned = Вы не можете делать заказы в этом магазине.
error-rate-limited = Слишком много запросов; попробуйте через { $seconds } с.
error-panel-unavailable = Сервис VPN временно недоступен; попробуйте позже.
error-duplicate-receipt = Этот чек уже присылали раньше (заказ №{ $order }); загрузите свой собственный чек.
error-bad-receipt = Этот файл нельзя принять как чек: { $reason }
error-nothing-to-renew = У вас пока нет доступа к VPN для продления; купите тариф командой `/order`.
error-choose-method = Сначала выберите способ оплаты.
error-order-not-waiting = Заказ №{ $order } больше не ожидает оплаты.
error-guild-only = Эту команду нужно использовать на сервере магазина, а не в личных сообщениях.

## /help

help-text = **{ $shop }**
    1. Выполните `/order` и выберите тариф: для вас откроется приватный канал-тикет.
    2. Выберите в тикете способ оплаты и следуйте инструкциям.
    3. Загрузите в тикет скриншот оплаты.
    4. Когда администратор одобрит оплату, ссылка для подключения придёт вам в личные сообщения.

    • **Клиенты:** `/order` — купить тариф · `/renew` — добавить тариф к текущему доступу · `/status` — срок, трафик и ссылка · `/language` — язык бота · `/trial` — пробный период · `/referral` — реферальный код · `/gift` и `/redeem` — подарки · `/help` — эта справка.
    • **Поддержка:** видит все тикеты и общается там с клиентами (не может одобрять, отклонять, продлевать или отзывать).
    • **Администраторы:** «Approve» / «Reject» на карточках проверки · `/admin extend` и `/admin revoke` — доступ клиента · `/admin user` и `/admin orders` — поиск · `/admin revenue` — выручка · `/admin health` — состояние панели · `/admin transcript` — сообщения закрытого тикета · `/admin panels` — состояние и загрузка панелей · `/admin ban` и `/admin unban` · `/admin promo` — промокоды · `/admin gift_revoke`.
    • **Владельцы:** всё, что могут администраторы · `/admin backup` — резервная копия базы сейчас · личное сообщение, когда панель падает и когда возвращается.

## Commands (registered as Discord's `ru` localizations)

cmd-order = заказ
    .description = Купить доступ к VPN: выберите тариф и оплатите в своём приватном тикете.
cmd-renew = продлить
    .description = Продлить доступ к VPN: выберите тариф, его дни прибавятся к текущему сроку.
cmd-status = статус
    .description = Ваш доступ к VPN: срок, трафик, ссылка и QR-код.
cmd-help = помощь
    .description = Как сделать заказ и какие команды есть у клиентов, поддержки, админов и владельцев.
cmd-language = язык
    .description = Язык, на котором бот отвечает вам (английский, русский, персидский).
cmd-language-choice = язык
    .description = Какой язык использовать.

## Staff (review cards, approvals, owner alerts, /admin answers), in `shop.staff_language`

staff-card-title = Платёж №{ $payment } — заказ №{ $order }
staff-card-customer = Клиент
staff-card-plan = Тариф
staff-card-price = Цена
staff-card-method = Способ
staff-card-kind = Вид заказа
staff-card-near = ⚠ Почти дубликат
staff-card-near-text = похож на чек платежа №{ $earlier } (расстояние { $distance })
staff-button-approve = Одобрить
staff-button-reject = Отклонить
staff-button-confirm = Подтвердить
staff-button-cancel = Отмена
staff-by = ({ $admin })
staff-review-pending = ⏳ Ждёт проверки
staff-review-approving = ⚙ Одобрено{ $by }; создаётся доступ
staff-review-waiting = ⏸ Одобрено{ $by }; ждём панель
staff-review-approved = ✅ Одобрено{ $by }
staff-review-rejected = ❌ Отклонено{ $by }
staff-review-cancelled = 🚫 Заказ отменён
staff-approve-prompt = Одобрить платёж №{ $payment }? Доступ клиента будет создан на панели после подтверждения. Подтверждение истекает { $expires }.
staff-confirming = ⏳ Подтверждаем: создаём доступ клиента на панели…
staff-approved = ✅ Платёж №{ $payment } одобрен: клиент `{ $email }` создан на панели, ссылка отправляется { $mention }.
staff-approve-delayed = ⏸ Панель недоступна: платёж №{ $payment } одобрен и завершится сам, когда панель вернётся. Клиенту сообщили.
staff-approve-failed = ⚠ Создание доступа по платежу №{ $payment } не удалось и было откачено ({ $why }). Платёж снова ждёт проверки.
staff-not-approved = Не одобрено: { $why }
staff-approval-cancelled = Одобрение отменено.
staff-reject-reason = Причина (клиент её увидит)
staff-reject-title = Отклонить платёж №{ $payment }
staff-rejected = Платёж №{ $payment } отклонён; клиенту сообщили причину.
staff-not-rejected = Не отклонено: { $why }
staff-panel-down = ⚠ Панель VPN недоступна (сбои с { $since }: { $error }). Новые заказы не принимаются; одобрения ждут и завершатся сами, когда она вернётся.
staff-panel-back = ✅ Панель VPN снова работает (простой { $after }). Ожидающие одобрения завершаются.
staff-extended = Доступ { $mention } продлён на { days }: теперь заканчивается { $when }.
staff-revoked = Доступ { $mention } отозван.
staff-guild-full = ⚠ Новые тикеты открыть нельзя: на сервере достигнут лимит Discord в 500 каналов. Клиентам предлагается попробовать позже. Удалите ненужные каналы (старые тикеты, пустые категории). Это предупреждение не повторится, пока снова не откроется тикет.
staff-alert-access = ⚠ Discord не пустил бота в { $channel }: не удалось { $action }. Выдайте роли бота право **{ $permission }** в этом канале (Изменить канал → Права доступа). Бот продолжает попытки и сам догонит, как только право появится.
staff-alert-delivery = ⚠ { $what } не удалось доставить { $mention }, попытки прекращены (доставка №{ $outbox }: { $error }). Клиент заплатил: отправьте вручную (он также может увидеть это через `/status`). `/admin health` показывает такие доставки.

## Staff views: /admin user, orders, health, revenue, backup and the dashboard

staff-user-title = **Клиент** { $mention }
staff-user-never = Ещё не пользовался ботом.
staff-user-subscription = Подписка: { $status }
staff-user-client = Клиент на панели: `{ $email }`
staff-user-expires = Действует до: { $when }
staff-user-limit = Лимит трафика: { $limit }
staff-user-banned = Заблокирован: { $why }
staff-user-no-reason = без причины
staff-user-no-order = Открытого заказа нет.
staff-user-open-order = Открытый заказ: { $order }
staff-orders-none = Нет заказов в состоянии { $status }.
staff-orders-title = **Заказы: { $status }** (сначала старые, не больше { $max }):
staff-order-line = №{ $order } { $status }, { $mention }, { $plan } ({ $price }){ $ticket }, открыт { $opened }
staff-order-ticket = в { $channel }
staff-revenue-title = 📊 Выручка — { $shop }
staff-revenue-today = Сегодня ({ $key })
staff-revenue-month = Месяц ({ $key })
staff-revenue-quarter = Квартал ({ $key })
staff-revenue-year = Год ({ $key })
staff-revenue-zone = Часовой пояс магазина: { $zone }
staff-revenue-last-days = Последние дни: { $days }
staff-revenue-report = Отчёт о выручке ({ $zone })
staff-revenue-chart = График: выручка по дням в { $currency }, с { $from } по { $to }
staff-sales = { $amount } ({ $sales ->
    [one] { $sales } продажа
    [few] { $sales } продажи
   *[many] { $sales } продаж
})
staff-health-title = **Состояние панели**
staff-health-breaker = **Предохранитель:** { $line }
staff-health-panel = **Панель:** { $line }
staff-health-outbox = **Очередь доставки:** { $line }
staff-health-backup = **Последняя копия:** { $line }
staff-backup-none = пока нет
staff-links-failed = **⚠ Ссылки не доставлены** (отправьте вручную): { $list }
staff-link-failed-item = { $mention } (платёж №{ $payment })
staff-breaker-ok = ✅ в порядке: панель отвечает на проверки
staff-breaker-failing = ⚠️ в порядке, но последние проверки ({ $failures }) не прошли: { $error }
staff-breaker-outage = 🔴 сбой с { $since }: вызовы панели сразу отклоняются, новые заказы не принимаются{ $probing }. Последняя ошибка: { $error }
staff-breaker-probing = (идёт проверка)
staff-unknown-time = неизвестного момента
staff-unknown = неизвестно
staff-panel-skipped = не опрашивалась во время сбоя
staff-panel-failed = ⚠️ запрос состояния не удался: { $error }
staff-panel-version = версия { $version }
staff-panel-version-unknown = версия неизвестна (до v3.1)
staff-panel-status = { $version }, API { $generation }; Xray { $xray }{ $xray_version }; хост работает { $uptime }
staff-outbox-none = очередь пуста
staff-outbox-waiting = { $count ->
    [one] ждёт { $count } доставка
    [few] ждут { $count } доставки
   *[many] ждут { $count } доставок
}, самая старая поставлена { $oldest }
staff-outbox-waiting-count = ждут доставки: { $count }
staff-outbox-failed = { $waiting }; брошено: { $count }
staff-backup-done = Копия записана и проверена: `{ $name }` ({ $size }, версия схемы { $schema }) за { $secs } с.{ $retention }
staff-backup-retention = Удалено старых копий: { $count }.
staff-transcript-summary = Переписка по заказу №{ $order }: сообщений — { $count }.
staff-transcript-head = Тикет заказа №{ $order } ({ $state })
staff-transcript-archived = архивирован { $when }
staff-transcript-open = канал ещё существует
staff-transcript-attachment = вложение: { $name }

## Crypto Pay invoices (customer)

invoice-assets = { " " }(оплата в { $assets })
invoice-head = Счёт №{ $invoice } за заказ №{ $order }: **{ $amount }**{ $assets }.
invoice-until = Оплатите до <t:{ $unix }:f> (<t:{ $unix }:R>).
invoice-how = Откройте счёт в @CryptoBot и оплатите его; доступ создаётся сразу после поступления оплаты, скриншот не нужен.
invoice-pay = Оплатить через Crypto Pay
invoice-check = Я оплатил — проверить
invoice-new = Новый счёт
invoice-waiting = Счёт за заказ №{ $order } ещё не оплачен. Как только вы оплатите его в @CryptoBot, доступ будет создан автоматически (проверять повторно можно).
invoice-paid = Оплата за заказ №{ $order } получена. Ссылка придёт в личные сообщения.
invoice-paid-delayed = Оплата за заказ №{ $order } получена. Панель VPN ненадолго недоступна; доступ будет создан, как только она вернётся, и ссылка придёт в личные сообщения.
invoice-paid-failed = Оплата за заказ №{ $order } получена, но создать доступ не удалось. Сотрудники уведомлены и завершат это; платить повторно не нужно.
invoice-paid-creating = Оплата за заказ №{ $order } получена; доступ создаётся.
invoice-expired-reply = Срок счёта за заказ №{ $order } истёк без оплаты. Нажмите **Новый счёт** (или снова выберите способ оплаты), чтобы получить новый.
invoice-not-settled = Платёж за заказ №{ $order } поступил, но не совпадает со счётом (или заказ был закрыт), поэтому ничего не выдано автоматически. Сотрудники уведомлены и свяжутся с вами; не платите повторно.
invoice-not-crypto = Заказ №{ $order } оплачивается не через Crypto Pay.
notice-invoice-expired = { $mention }, срок счёта Crypto Pay №{ $invoice } за заказ №{ $order } истёк без оплаты. Нажмите **Новый счёт**, чтобы получить новый.
notice-invoice-not-settled = { $mention }, платёж за заказ №{ $order } поступил, но не совпадает со счётом (или заказ был закрыт), поэтому ничего не выдано автоматически. Сотрудники уведомлены и свяжутся с вами; не платите повторно.
error-provider-unavailable = { $provider } сейчас недоступен; ваш заказ сохранён, попробуйте ещё раз через несколько минут.

## Trials, promo codes, referrals, gifts, bans (customer)

gift-off = в этом магазине нет подарков
gift-prompt = Какой тариф вы хотите подарить? Оплата — в вашем тикете; код придёт в личные сообщения.
promo-malformed = промокод — это от 4 до 32 букв, цифр, '_' или '-'
free-trial = Ваш пробный период
free-gift = Ваш подарок
free-code = Ваш код покрывает весь заказ №{ $order }: ваш доступ
free-ready = { $what } готов: ссылка придёт в личные сообщения.
free-delayed = { $what } скоро будет: панель VPN ненадолго недоступна, ссылка придёт в личные сообщения, как только она вернётся.
free-failed = { $what } сейчас не удалось создать; сотрудники уведомлены и завершат это. Вам ничего делать не нужно.
free-creating = { $what } создаётся; ссылка придёт в личные сообщения.
referral-code = Ваш реферальный код:
referral-how = Друг, который введёт его через `/referral code:` до своего первого заказа, принесёт вам { days } доступа к VPN, когда его первая оплата будет одобрена.
referral-bound = Готово: вас пригласил { $mention }. Приятного первого заказа!
notice-gift = Ваш подарок (заказ №{ $order }) готов. Передайте этот код тому, для кого он; его активируют командой `/redeem` до { $until }. Код действует один раз и только для другого человека:
notice-banned = Вы больше не можете заказывать в этом магазине (заказы, продления, пробный период, подарки и рефералы недоступны): { $reason }
notice-unbanned = Ваша блокировка снята: вы снова можете заказывать в этом магазине.
notice-referral-reward = Спасибо, что привели друга: к вашему доступу к VPN добавлено { days }; теперь он заканчивается { $when }.
reject-code-amount-mismatch = сумма не совпадает с ценой
reject-code-unreadable = чек невозможно прочитать
reject-code-wrong-recipient = платёж отправлен не тому получателю
reject-code-duplicate = этот чек уже использовался
reject-code-other = другая причина

## Staff: Crypto Pay, rejections with a reason, promo codes, bans, gifts

staff-card-paid-by = Оплачено
staff-card-paid-by-crypto = счётом Crypto Pay (проверено ботом)
staff-card-automatic = { " " }· автоматически (Crypto Pay)
staff-alert-invoice = ⚠ Счёт Crypto Pay №{ $invoice } (заказ №{ $order }, { $mention }) оплачен, но не зачтён: { $reason }. Ничего не выдано. Проверьте платёж в @CryptoBot, затем верните деньги или обслужите клиента вручную (`/admin extend`).
staff-reject-why = Почему платёж №{ $payment } отклонён?
staff-reject-placeholder = Выберите причину
staff-reject-and-ban = { $reason } — и заблокировать клиента
staff-reject-title-ban = Отклонить платёж №{ $payment } и заблокировать
staff-rejected-banned = Платёж №{ $payment } отклонён, клиент заблокирован; ему сообщена причина.
staff-promo-none = Промокодов пока нет. Создайте через `/admin promo create`.
staff-promo-percent = скидка { $value } %
staff-promo-days = +{ days }
staff-promo-plan = тариф { $plan } бесплатно
staff-promo-uses = использований: { $uses }
staff-promo-disabled = { " " }· отключён
staff-promo-created = Создан: { $code }
staff-promo-disabled-now = `{ $code }` отключён.
staff-banned = { $mention } заблокирован.
staff-banned-revoked = { $mention } заблокирован, его доступ отозван.
staff-unbanned = { $mention } снова может заказывать.
staff-gift-revoked = Подарок №{ $gift } (купил { $mention }) отозван.

## Growth refusals (customer)

refused-trial-off = В этом магазине нет пробного периода.
refused-trial-already = Вы уже использовали бесплатный пробный период.
refused-trial-not-new = Пробный период — для новых клиентов; используйте /renew.
refused-referrals-off = В этом магазине нет реферальной программы.
refused-referral-own = Нельзя использовать собственный реферальный код.
refused-referral-already = Вы уже использовали реферальный код.
refused-referral-not-first = Реферальные коды — только для первого заказа.
refused-gifts-off = В этом магазине нет подарков.
refused-gift-too-new = Ваш аккаунт Discord слишком новый, чтобы активировать подарок.
refused-gift-invalid = Этот код подарка недействителен.
refused-gift-redeemed = Этот подарок уже активирован.
refused-gift-revoked = Этот подарок отозван.
refused-gift-expired = Срок действия этого кода подарка истёк.
refused-gift-own = Подарок — для другого человека: свой активировать нельзя.
refused-gift-plan-gone = Тариф этого подарка больше не продаётся; обратитесь к сотрудникам.
refused-banned = Вы не можете заказывать в этом магазине: { $reason }

## Backends: first-use activation, failover (customer) and per-panel alerts (staff)

notice-activation-started = Ваши { days } доступа к VPN начались; они заканчиваются { $when }.
notice-panel-moved = Ваш VPN-сервер был недоступен, поэтому доступ перенесён на другой. Ваша новая ссылка:
staff-alert-panel-down = ⚠ Панель `{ $panel }` недоступна ({ $detail }). Новые клиенты идут на другие панели; её клиенты ждут или переносятся через `backends.failover_after_minutes`.
staff-alert-panel-back = ✅ Панель `{ $panel }` снова работает ({ $detail }).
