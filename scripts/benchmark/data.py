"""The data generators: set-based SQL that loads sellers and leads with the triggers off and then
rebuilds the derived state, and the routing rules of #11 switched on and off."""

from .harness import fresh_database, psql

def load_sellers(count, max_leads, business_lines=4):
    return f"""
INSERT INTO lead_management.sellers
    (document_number, given_name, surname, phone, email, max_leads_count, business_line_id)
SELECT 'S' || lpad(i::text, 7, '0'), 'Seller', 'Number' || i, '+1555' || lpad(i::text, 7, '0'),
       's' || i || '@bench.example', {max_leads}, 1 + (i - 1) % {business_lines}
FROM generate_series(1, {count}) AS i;
"""


def lead_select(first, count, prefix="L", business_lines=4):
    # Business lines hashed, so that document_number order interleaves the lines.
    return f"""
SELECT '{prefix}' || lpad(i::text, 9, '0'), 'Lead', 'Number' || i, '+1666' || lpad(i::text, 9, '0'),
       '{prefix.lower()}' || i || '@bench.example', 1 + abs(hashint4(i)) % {business_lines}, 1 + i % 5, 1 + i % 4
FROM generate_series({first}, {first + count - 1}) AS i"""


LEAD_COLUMNS = "(document_number, given_name, surname, phone, email, business_line_id, country_id, document_type_id)"


def load_leads(count, first=1, prefix="L", business_lines=4):
    return (f"INSERT INTO lead_management.leads {LEAD_COLUMNS}"
            + lead_select(first, count, prefix, business_lines) + ";\n")


PENDING_ROWS = """
INSERT INTO lead_management.assignments (lead_document_number, assignment_status_id)
SELECT l.document_number, 1 FROM lead_management.leads l
WHERE NOT EXISTS (SELECT FROM lead_management.assignments a WHERE a.lead_document_number = l.document_number);
"""

# After a load with triggers off: the maintained state (seller loads, queue) set to a recount.
REPAIR = "RESET session_replication_role;\nSELECT * FROM repair_assignments();\nVACUUM ANALYZE;\nCHECKPOINT;\n"


def load_pending_workload(db, leads, sellers, business_lines=4):
    """N pending leads over the lines; M sellers with room for all of them (twice over)."""
    max_leads = -(-2 * leads // sellers)
    fresh_database(db)
    psql(db, "SET session_replication_role = replica;\n"
         + load_sellers(sellers, max_leads, business_lines) + load_leads(leads, business_lines=business_lines)
         + PENDING_ROWS + REPAIR)
    return max_leads


# Every routing rule of #11 on every seller, none of them binding now: working hours that include
# now (the seller's current local day and the next one whole, 09:00-17:00 on the other days) in one
# of four time zones, a daily cap far above what a run gives, weights 1-5, away_until in the past.
# Time zones are set once at load (sellers.time_zone alone changes nothing without hours).
RULES_TIME_ZONES = """
UPDATE lead_management.sellers
SET time_zone = (ARRAY['UTC', 'America/Bogota', 'Europe/Madrid', 'Asia/Tokyo'])[1 + substr(document_number, 2)::int % 4];
"""
RULES_ON = """
UPDATE lead_management.sellers
SET away_until = now() - interval '1 day', daily_cap = max_leads_count + 10000000,
    weight = 1 + substr(document_number, 2)::int % 5;
INSERT INTO lead_management.seller_hours (seller_document_number, weekday, starts_at, ends_at)
SELECT s.document_number, d.weekday,
       CASE WHEN d.weekday IN (t.today, t.today % 7 + 1) THEN time '00:00' ELSE time '09:00' END,
       CASE WHEN d.weekday IN (t.today, t.today % 7 + 1) THEN time '23:59:59.999999' ELSE time '17:00' END
FROM lead_management.sellers s
CROSS JOIN LATERAL (SELECT extract(isodow FROM now() AT TIME ZONE s.time_zone)::int AS today) t
CROSS JOIN generate_series(1, 7) AS d(weekday);
"""
RULES_OFF = """
DELETE FROM lead_management.seller_hours;
UPDATE lead_management.sellers SET away_until = NULL, daily_cap = NULL, weight = 1;
"""
# #11: a run with every rule configured takes at most this many times as long as without.
TARGET_RULES = 1.2
RULES_DESCRIPTION = ("every rule on every seller, none binding: hours that include now in one of 4 time zones "
                     "(7 rows per seller), daily_cap far above, weights 1-5, away_until in the past")
