-- lead_assigner 0.2.0 -> 0.3.0, run by ALTER EXTENSION lead_assigner UPDATE.
-- Every step leaves the catalog exactly as a fresh 0.3.0 install has it (the upgrade test compares
-- them) and keeps every row, audit row and history row.
\echo Use "ALTER EXTENSION lead_assigner UPDATE" to load this file. \quit

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
