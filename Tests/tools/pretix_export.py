"""Real pretix exports, made by pretix itself (installed from PyPI), for Accueil's import tests.

Sets up a throwaway pretix (SQLite, tables made from the models), an event like the model one
(French locale, "Given name / Family name" name scheme, products named as an organiser would),
orders in every state, then runs pretix's own exporters in-process:

    OUT/positions-{en,fr,de}.csv   "Order data" → "Order positions" sheet, CSV
    OUT/orders-fr.xlsx             "Order data", combined Excel workbook (pretix's default format)
    OUT/checkin-fr.csv             "Check-in list" with ticket secrets
    OUT/expected.json              what the export holds: ids, names, companies, states, roles

Usage: python pretix_export.py OUT COUNT
"""

import json
import os
import sys
import tempfile

out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
work = tempfile.mkdtemp(prefix="pretix-")
with open(os.path.join(work, "pretix.cfg"), "w") as f:
    f.write(f"[pretix]\ndatadir={work}\ninstance_name=accueil-test\nurl=http://localhost\n"
            "[database]\nbackend=sqlite3\n[mail]\nfrom=test@localhost\n")
os.environ["PRETIX_CONFIG_FILE"] = os.path.join(work, "pretix.cfg")
os.environ["DJANGO_SETTINGS_MODULE"] = "pretix_export_settings"

# Tables straight from the models (pretix's 300+ migrations take minutes on SQLite).
with open(os.path.join(work, "pretix_export_settings.py"), "w") as f:
    f.write("from pretix.settings import *\n"
            "class _NoMigrations(dict):\n"
            "    def __contains__(self, item): return True\n"
            "    def __getitem__(self, item): return None\n"
            "MIGRATION_MODULES = _NoMigrations()\n"
            "CELERY_ALWAYS_EAGER = True\n")
sys.path.insert(0, work)

import django  # noqa: E402

django.setup()

import random  # noqa: E402
from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import translation  # noqa: E402
from django.utils.timezone import now  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

call_command("migrate", run_syncdb=True, verbosity=0)

from pretix.base.exporters.orderlist import OrderListExporter  # noqa: E402
from pretix.base.models import Event, Item, Order, OrderPosition, Organizer  # noqa: E402
from pretix.plugins.checkinlists.exporters import CSVCheckinList  # noqa: E402

rng = random.Random(2026)
given = ["Amina", "Jean", "Hélène", "Олег", "李", "محمد", "Ζωή", "Zoë", "Đức", "Søren", "Ngozi", "Ana"]
family = ["Benali", "Dupont", "Œuvray", "Петров", "伟", "الأمين", "Παπαδοπούλου", "O'Brien", "Nguyễn",
          "Kierkegaard", "Okafor", "López"]
companies = ["Ville de Lyon", "Город Казань", "成都市", "Ville de Tunis", "Municipality of Athens",
             "Ville de Nantes", "Lagos State", "Ayuntamiento de Sevilla", ""]
countries = ["FR", "RU", "CN", "TN", "GR", "IE", "VN", "DK", "NG", "ES", "SN", "BR"]

with scopes_disabled():
    organizer = Organizer.objects.create(name="Rencontre des territoires", slug="rencontre")
    event = Event.objects.create(
        organizer=organizer, name="Rencontre internationale", slug="rencontre2026",
        date_from=now() + timedelta(days=30), currency="EUR")
    event.settings.locale = "fr"
    event.settings.locales = ["fr", "en"]
    event.settings.name_scheme = "given_family"
    # Products named as organisers do: one names a role, the others do not.
    admission = Item.objects.create(event=event, name="Entrée / Admission", default_price=Decimal("0.00"),
                                    admission=True)
    speaker = Item.objects.create(event=event, name="Intervenant·e", default_price=Decimal("0.00"), admission=True)
    gala = Item.objects.create(event=event, name="Pass Gala + Ateliers", default_price=Decimal("45.00"),
                               admission=True)
    web = organizer.sales_channels.get(identifier="web")
    checkin_list = event.checkin_lists.create(name="Entrée principale", all_products=True, include_pending=True)

    expected = {"attendees": {}, "cancelled": 0, "pending": 0, "tickets": {}, "pending_tickets": {},
                "cancelled_tickets": []}
    position_count = 0
    order_index = 0
    while position_count < count:
        order_index += 1
        state = rng.choices([Order.STATUS_PAID, Order.STATUS_CANCELED, Order.STATUS_PENDING], [85, 8, 7])[0]
        buyer = f"achats{order_index}@mairie.example"
        atomic = transaction.atomic()
        atomic.__enter__()
        order = Order.objects.create(
            event=event, code=f"R{order_index:04d}", email=buyer, status=state, datetime=now(),
            expires=now() + timedelta(days=10), total=Decimal("0.00"), locale="fr", sales_channel=web)
        for position_id in range(1, rng.choice([1, 1, 1, 2, 3]) + 1):
            position_count += 1
            item = rng.choices([admission, speaker, gala], [80, 10, 10])[0]
            first, last = rng.choice(given), rng.choice(family)
            company = rng.choice(companies)
            own_email = rng.random() < 0.7
            position = OrderPosition.objects.create(
                order=order, positionid=position_id, item=item, price=item.default_price,
                attendee_name_parts={"_scheme": "given_family", "given_name": first, "family_name": last},
                attendee_email=f"p{position_count}@ville.example" if own_email else None,
                company=company or None, country=rng.choice(countries), state="")
            key = f"{order.code}-{position_id}"
            # The ticket's secret, as pretix's own generator made it: what the attendee's QR holds.
            if state == Order.STATUS_CANCELED:
                expected["cancelled"] += 1
                expected["cancelled_tickets"].append(position.secret)
            elif state == Order.STATUS_PENDING:
                expected["pending"] += 1
                expected["pending_tickets"][key] = position.secret
            else:
                expected["tickets"][key] = position.secret
                expected["attendees"][key] = {
                    "first_name": first, "last_name": last, "organisation": company,
                    "email": f"p{position_count}@ville.example" if own_email else buyer,
                    "role": "speaker" if item == speaker else "participant",
                }
        order.create_transactions(is_new=True)
        atomic.__exit__(None, None, None)

    order_form = {"paid_only": False, "include_payment_amounts": False, "group_multiple_choice": False}
    for language in ["en", "fr", "de"]:
        with translation.override(language):
            _, _, data = OrderListExporter(event, organizer).render(dict(order_form, _format="positions:default"))
            with open(os.path.join(out, f"positions-{language}.csv"), "wb") as f:
                f.write(data)
    with translation.override("fr"):
        _, _, data = OrderListExporter(event, organizer).render(dict(order_form, _format="xlsx"))
        with open(os.path.join(out, "orders-fr.xlsx"), "wb") as f:
            f.write(data)
        _, _, data = CSVCheckinList(event, organizer).render({
            "list": checkin_list.pk, "secrets": True, "attention_only": False, "status": "",
            "sort": "name", "questions": [], "_format": "default"})
        with open(os.path.join(out, "checkin-fr.csv"), "wb") as f:
            f.write(data)
    secrets = list(OrderPosition.all.filter(order__event=event).values_list("secret", flat=True))
    expected["secrets"] = secrets
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False)
print(f"{position_count} positions in {order_index} orders")
