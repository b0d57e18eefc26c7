-- lead_assigner 0.2.0 -> 0.3.0, run by ALTER EXTENSION lead_assigner UPDATE.
-- Every step leaves the catalog exactly as a fresh 0.3.0 install has it (the upgrade test compares
-- them) and keeps every row, audit row and history row.
\echo Use "ALTER EXTENSION lead_assigner UPDATE" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Territories (issue 25): seller_countries, the queue keyed by country, set_seller_countries(),
-- the outside_territory rule in check_invariants(), repair_assignments() and the views.
-- ---------------------------------------------------------------------------------------------

CREATE TABLE lead_management.seller_countries (
    seller_document_number text COLLATE "C" NOT NULL
        REFERENCES lead_management.sellers ON UPDATE CASCADE ON DELETE CASCADE,
    country_id integer NOT NULL REFERENCES lead_management.countries,
    CONSTRAINT seller_countries_pkey PRIMARY KEY (seller_document_number, country_id)
);
CREATE INDEX seller_countries_country_id_idx ON lead_management.seller_countries (country_id);
COMMENT ON TABLE lead_management.seller_countries IS 'Territories: a seller with rows here takes only leads from those countries; a seller without rows covers every country (set them with set_seller_countries())';
SELECT pg_catalog.pg_extension_config_dump('lead_management.seller_countries', '');

-- Every queued lead gets its country; runs read the queue per country through the new index.
ALTER TABLE lead_management.assignment_queue ADD COLUMN country_id integer;
UPDATE lead_management.assignment_queue q SET country_id = l.country_id
FROM lead_management.leads l WHERE l.document_number = q.lead_document_number;
ALTER TABLE lead_management.assignment_queue ALTER COLUMN country_id SET NOT NULL;
CREATE INDEX assignment_queue_country_order_idx ON lead_management.assignment_queue (business_line_id, country_id, priority DESC, lead_document_number);
COMMENT ON COLUMN lead_management.assignment_queue.country_id IS 'The lead''s country: runs read the queue per country when territories restrict the sellers with room';

CREATE FUNCTION lead_management."release_outside_territory"()
	RETURNS TRIGGER
	LANGUAGE c
	AS 'MODULE_PATHNAME', 'release_outside_territory_wrapper';
ALTER FUNCTION lead_management.release_outside_territory() SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION lead_management.release_outside_territory() IS
    'Trigger (Rust), per statement on seller_countries: under the business-line locks, puts back to Pending every open lead a touched seller holds from a country outside its territory now';
COMMENT ON FUNCTION lead_management.enforce_assignment_rules() IS
    'Trigger (Rust): direct UPDATEs keep the rules: a lead or seller changing business line, a lead moving to a country its seller does not cover, or a seller deactivated, releases open leads to Pending; a Pending lead changing business line, country or priority moves in the queue; capacity cannot drop below open leads; a status in use keeps its occupies_capacity';

SELECT lead_management.attach_statement_triggers('seller_countries', 'audit', 'audit_row_change');
SELECT lead_management.attach_statement_triggers('seller_countries', 'release_outside_territory', 'release_outside_territory');
SELECT lead_management.attach_statement_triggers('seller_countries', 'track_seller_roster', 'track_seller_roster');
CREATE TRIGGER track_seller_roster_truncate AFTER TRUNCATE ON lead_management.seller_countries
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.track_seller_roster();

-- A lead moving to another country moves in the queue (and leaves a seller who does not cover it).
DROP TRIGGER enforce_assignment_rules ON lead_management.leads;
CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF business_line_id, priority, country_id ON lead_management.leads
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();

CREATE  FUNCTION "set_seller_countries"(
	"seller" TEXT,
	"country_codes" TEXT[]
) RETURNS TEXT[]
VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'set_seller_countries_wrapper';
COMMENT ON FUNCTION set_seller_countries(text, text[]) IS
    'Sets the countries (ISO codes) a seller takes leads from; an empty array: every country. Open leads from other countries go back to Pending. Returns the codes, sorted. Admin role (lead_assigner_admin) only.';
REVOKE EXECUTE ON FUNCTION set_seller_countries(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION set_seller_countries(text, text[]) TO lead_assigner_admin;

-- repair_assignments() reports the leads it released from outside their sellers' territories.
DROP FUNCTION repair_assignments();
CREATE  FUNCTION "repair_assignments"() RETURNS TABLE (
	"pending_rows_created" bigint,
	"seller_loads_corrected" bigint,
	"queue_entries_corrected" bigint,
	"schedules_corrected" bigint,
	"released_outside_territory" bigint
)
STRICT VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'repair_assignments_wrapper';
REVOKE EXECUTE ON FUNCTION repair_assignments() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION repair_assignments() TO lead_assigner_admin;

COMMENT ON FUNCTION repair_assignments() IS
    'After a load with triggers off: creates the missing Pending assignments, puts back to Pending the open leads their sellers'' territories do not cover, sets seller_loads, assignment_queue and seller_schedules to a recount and renews seller_roster_versions (every session reads the sellers again); returns what it changed. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION explain_lead(text) IS
    'Why a lead is or is not assigned: one row per seller of its business line, in the order the current strategy tries them, with eligible and a reason (eligible, inactive, outside_territory, full, away, outside_hours, daily_cap, excluded, already_assigned); (NULL, false, no_sellers_in_line) for a line without sellers. Read-only. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION check_invariants() IS
    'One row per invariant of the data model (capacity, one assignment per lead, no open lead on an inactive seller, across business lines or outside its seller''s territory, derived loads, queue and schedules equal to a recount, no queued lead below its line''s watermark, history complete) with how many rows break it; 0 everywhere when all hold. Reads the whole book. Admin role (lead_assigner_admin) only.';

-- The views gain a column each: seller_workload.countries, pending_by_business_line.uncovered_leads.
CREATE OR REPLACE VIEW lead_management.seller_workload AS
SELECT s.document_number,
       s.given_name || ' ' || s.surname AS seller,
       b.name AS business_line,
       s.is_active,
       s.max_leads_count,
       coalesce(l.open_leads, 0)::bigint AS open_leads,
       greatest(s.max_leads_count - coalesce(l.open_leads, 0), 0)::bigint AS free_capacity,
       a.availability AS available_now,
       a.assigned_last_day,
       s.daily_cap,
       s.weight,
       (SELECT array_agg(c.code ORDER BY c.code) FROM lead_management.seller_countries t
          JOIN lead_management.countries c USING (country_id)
         WHERE t.seller_document_number = s.document_number) AS countries
FROM lead_management.sellers s
JOIN lead_management.business_lines b USING (business_line_id)
LEFT JOIN lead_management.seller_loads l ON l.seller_document_number = s.document_number
LEFT JOIN seller_availability() a ON a.seller = s.document_number
ORDER BY b.name, s.document_number;
COMMENT ON VIEW lead_management.seller_workload IS 'Per seller: open leads (statuses that occupy capacity), capacity and free slots, availability now as the rules judge it (eligible, inactive, away, outside_hours, full, daily_cap), leads assigned in the last day against the daily cap, weight, and the ISO codes of the countries it covers (NULL: every country)';
CREATE OR REPLACE VIEW lead_management.pending_by_business_line AS
SELECT b.business_line_id,
       b.name AS business_line,
       (SELECT count(*) FROM lead_management.assignment_queue q
         WHERE q.business_line_id = b.business_line_id) AS pending_leads,
       (SELECT count(*) FROM lead_management.sellers s
         WHERE s.business_line_id = b.business_line_id AND s.is_active) AS active_sellers,
       (SELECT coalesce(sum(w.free_capacity), 0) FROM lead_management.seller_workload w
          JOIN lead_management.sellers s USING (document_number)
         WHERE s.business_line_id = b.business_line_id AND s.is_active) AS free_capacity,
       (SELECT coalesce(sum(per_country.leads), 0)
          FROM (SELECT q.country_id, count(*) AS leads FROM lead_management.assignment_queue q
                 WHERE q.business_line_id = b.business_line_id GROUP BY q.country_id) AS per_country
         WHERE NOT EXISTS (SELECT FROM lead_management.sellers s
                            WHERE s.business_line_id = b.business_line_id AND s.is_active
                              AND (NOT EXISTS (SELECT FROM lead_management.seller_countries t
                                                WHERE t.seller_document_number = s.document_number)
                                   OR EXISTS (SELECT FROM lead_management.seller_countries t
                                               WHERE t.seller_document_number = s.document_number
                                                 AND t.country_id = per_country.country_id))))::bigint AS uncovered_leads
FROM lead_management.business_lines b
ORDER BY b.business_line_id;
COMMENT ON VIEW lead_management.pending_by_business_line IS 'Per business line: leads waiting for a seller, active sellers and their free slots, and the waiting leads from a country no active seller of the line covers (they wait until a territory changes)';

GRANT SELECT ON lead_management.seller_countries TO lead_assigner_app, lead_assigner_admin;
GRANT INSERT, UPDATE, DELETE ON lead_management.seller_countries TO lead_assigner_admin;

COMMENT ON TABLE lead_management.seller_roster_versions IS 'Derived: per business line, the version of its sellers, working hours and territories, renewed by every statement that changes them (and by repair_assignments()); a backend reads the sellers again only when a version changed';

-- Issue 27: what a new user tripped on ------------------------------------------------------------

-- The API's argument names are the README's (name, lead, status, seller), so calls with named
-- arguments written from it work. PostgreSQL cannot rename a parameter in place (CREATE OR
-- REPLACE refuses to): drop and create each function again, with the comment and grants a fresh
-- install gives it. Nothing depends on them; pg_cron jobs call other functions.
DROP FUNCTION get_status_id(text);
DROP FUNCTION set_assignment_status(text, text);
DROP FUNCTION deactivate_seller(text);
DROP FUNCTION activate_seller(text);
CREATE FUNCTION "get_status_id"(
	"name" TEXT
) RETURNS INT
VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'get_status_id_wrapper';
CREATE FUNCTION "set_assignment_status"(
	"lead" TEXT,
	"status" TEXT
) RETURNS TEXT
VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'set_assignment_status_wrapper';
CREATE FUNCTION "deactivate_seller"(
	"seller" TEXT
) RETURNS INT
VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'deactivate_seller_wrapper';
CREATE FUNCTION "activate_seller"(
	"seller" TEXT
) RETURNS bool
VOLATILE SECURITY DEFINER PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'activate_seller_wrapper';
COMMENT ON FUNCTION get_status_id(text) IS
    'Id of the named assignment status (trimmed, case-insensitive); creates it, not occupying capacity, when missing. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION set_assignment_status(text, text) IS
    'Moves a lead''s assignment to a status (e.g. In Progress, Won, Lost, Pending); statuses that do not occupy capacity free the seller''s slot. Returns the status name. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION deactivate_seller(text) IS
    'Deactivates a seller and puts their open leads back to Pending for the next assign_leads(); returns how many. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION activate_seller(text) IS
    'Makes a seller eligible for new leads again; returns false if they already were active. Admin role (lead_assigner_admin) only.';
REVOKE EXECUTE ON FUNCTION get_status_id(text), set_assignment_status(text, text), deactivate_seller(text),
    activate_seller(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION get_status_id(text), set_assignment_status(text, text) TO lead_assigner_app, lead_assigner_admin;
GRANT EXECUTE ON FUNCTION deactivate_seller(text), activate_seller(text) TO lead_assigner_admin;

-- The CHECK constraints people trip on raise 23514 with a message and a hint of their own.
CREATE FUNCTION lead_management.refuse(message text, hint text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION '%', message USING ERRCODE = 'check_violation', HINT = hint;
END
$$;
COMMENT ON FUNCTION lead_management.refuse(text, text) IS 'Raises 23514 with the message and hint; the right-hand side of CHECK constraints, evaluated only when their test fails';
ALTER TABLE lead_management.sellers
    DROP CONSTRAINT sellers_max_leads_count_valid,
    DROP CONSTRAINT sellers_daily_cap_valid,
    DROP CONSTRAINT sellers_weight_valid,
    ADD CONSTRAINT sellers_max_leads_count_valid CHECK (max_leads_count >= 0
        OR lead_management.refuse(format('max_leads_count %s is negative', max_leads_count), 'A seller holds 0 or more open leads; 0 gives them no new leads (deactivate_seller() also puts their open leads back).')),
    ADD CONSTRAINT sellers_daily_cap_valid CHECK (daily_cap IS NULL OR daily_cap >= 0
        OR lead_management.refuse(format('daily_cap %s is negative', daily_cap), 'Use 0 or more leads a day, or NULL for no daily cap.')),
    ADD CONSTRAINT sellers_weight_valid CHECK (weight BETWEEN 1 AND 100
        OR lead_management.refuse(format('weight %s is not between 1 and 100', weight), 'round_robin gives turns in proportion to weight: use 1 to 100 (1 is the default); to give a seller no leads, deactivate_seller() or set away_until.'));
ALTER TABLE lead_management.seller_hours
    DROP CONSTRAINT seller_hours_weekday_valid,
    DROP CONSTRAINT seller_hours_window_valid,
    ADD CONSTRAINT seller_hours_weekday_valid CHECK (weekday BETWEEN 1 AND 7
        OR lead_management.refuse(format('weekday %s is not between 1 and 7', weekday), 'Weekdays are ISO: 1 = Monday ... 7 = Sunday (extract(isodow FROM date)).')),
    ADD CONSTRAINT seller_hours_window_valid CHECK (starts_at < ends_at
        OR lead_management.refuse(format('working hours %s to %s do not end after they start', starts_at, ends_at), 'A window ends after it starts, within one day: split a night shift into two windows, one on each weekday.'));

-- lead_assigner.accept_timeout is superuser-only now (the library defines it so); the admin role
-- may still SET it.
DO $$
BEGIN
    IF NOT has_parameter_privilege('lead_assigner_admin', 'lead_assigner.accept_timeout', 'SET') THEN
        GRANT SET ON PARAMETER lead_assigner.accept_timeout TO lead_assigner_admin;
    END IF;
EXCEPTION WHEN unique_violation THEN NULL;
END
$$;

-- End of issue 27 ------------------------------------------------------------------------------
