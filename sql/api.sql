-- Runs last: views, descriptions of the SQL API, roles and privileges.

CREATE VIEW lead_management.seller_workload AS
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

CREATE VIEW lead_management.pending_by_business_line AS
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

CREATE VIEW lead_management.recent_runs AS
SELECT run_id, kind, started_at, finished_at - started_at AS duration, strategy,
       pending_before, eligible_sellers, assigned, generated, inserted, skipped, requeued
FROM lead_management.assignment_runs
ORDER BY run_id DESC
LIMIT 20;
COMMENT ON VIEW lead_management.recent_runs IS 'The last 20 runs (assign_leads(), simulate_cycle(), assign_on_insert), newest first';

COMMENT ON FUNCTION assign_leads() IS
    'Assigns every pending lead it can to an active seller of its business line with free capacity (strategy: lead_assigner.strategy); returns how many it assigned. Safe to call from many sessions at once. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION simulate_cycle(integer) IS
    'Inserts n realistic random leads (NULL: a weighted random count in [lead_assigner.leads_min, lead_assigner.leads_max]), skips duplicates, then runs assign_leads(); all or nothing. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION get_status_id(text) IS
    'Id of the named assignment status (trimmed, case-insensitive); creates it, not occupying capacity, when missing. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION set_assignment_status(text, text) IS
    'Moves a lead''s assignment to a status (e.g. In Progress, Won, Lost, Pending); statuses that do not occupy capacity free the seller''s slot. Returns the status name. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION deactivate_seller(text) IS
    'Deactivates a seller and puts their open leads back to Pending for the next assign_leads(); returns how many. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION set_seller_countries(text, text[]) IS
    'Sets the countries (ISO codes) a seller takes leads from; an empty array: every country. Open leads from other countries go back to Pending. Returns the codes, sorted. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION activate_seller(text) IS
    'Makes a seller eligible for new leads again; returns false if they already were active. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION start_simulation(interval) IS
    'Schedules (or reschedules) the pg_cron job lead_assigner_simulation running simulate_cycle() every interval; returns the pg_cron schedule. Sub-minute intervals need pg_cron 1.5+. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION start_simulation() IS
    'start_simulation(interval) at the finest interval the installed pg_cron supports (10 seconds on pg_cron 1.5+, 1 minute on 1.4), named in a NOTICE. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION preview_assignments() IS
    'What assign_leads() would assign if called now in this session (same strategy, rules and order, same code), as (lead, seller, strategy) rows; writes nothing and takes no lock. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION explain_lead(text) IS
    'Why a lead is or is not assigned: one row per seller of its business line, in the order the current strategy tries them, with eligible and a reason (eligible, inactive, outside_territory, full, away, outside_hours, daily_cap, excluded, already_assigned); (NULL, false, no_sellers_in_line) for a line without sellers. Read-only. Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION seller_availability() IS
    'Every seller''s availability now as the assignment rules judge it and its leads assigned in the last day (for the seller_workload view). Roles: lead_assigner_app, lead_assigner_admin.';
COMMENT ON FUNCTION check_invariants() IS
    'One row per invariant of the data model (capacity, one assignment per lead, no open lead on an inactive seller, across business lines or outside its seller''s territory, derived loads, queue and schedules equal to a recount, no queued lead below its line''s watermark, history complete) with how many rows break it; 0 everywhere when all hold. Reads the whole book. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION repair_assignments() IS
    'After a load with triggers off: creates the missing Pending assignments, puts back to Pending the open leads their sellers'' territories do not cover, sets seller_loads, assignment_queue and seller_schedules to a recount and renews seller_roster_versions (every session reads the sellers again); returns what it changed. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION maintain() IS
    'Daily upkeep (pg_cron job lead_assigner_maintenance): creates audit_logs partitions for this month and the next two, moving in rows the DEFAULT partition caught, and drops whole months older than lead_assigner.audit_retention, logging each drop as a PRUNE row. Returns one row per partition created or dropped. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION stop_simulation() IS
    'Unschedules the pg_cron simulation job; returns whether it was scheduled. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION simulation_status() IS
    'Whether the simulation job is scheduled, its schedule, and how its runs went (from cron.job_run_details). Roles: lead_assigner_app, lead_assigner_admin.';

-- A run's statements are prepared once per backend; their generic plans are kept. Left to choose,
-- PostgreSQL plans a statement over array parameters again on every call (a custom plan knows
-- the arrays' sizes and looks cheaper), which was an eighth of a 5-lead cycle's work.
ALTER FUNCTION assign_leads() SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION simulate_cycle(integer) SET plan_cache_mode = force_generic_plan;

-- Roles are cluster-wide: a second database installing the extension reuses them, and two
-- databases installing at the same moment race to create them (the loser sees 23505).
DO $$
BEGIN
    CREATE ROLE lead_assigner_admin NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
DO $$
BEGIN
    CREATE ROLE lead_assigner_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
COMMENT ON ROLE lead_assigner_admin IS 'lead_assigner: manages sellers and reference data, runs and schedules assignment';
COMMENT ON ROLE lead_assigner_app IS 'lead_assigner: inserts leads and runs assignment; reads everything';

-- SECURITY DEFINER functions run as the owner: only the roles above may call them.
REVOKE EXECUTE ON FUNCTION assign_leads(), simulate_cycle(integer), get_status_id(text),
    set_assignment_status(text, text), deactivate_seller(text), activate_seller(text),
    set_seller_countries(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION assign_leads(), simulate_cycle(integer), get_status_id(text),
    set_assignment_status(text, text) TO lead_assigner_app, lead_assigner_admin;
GRANT EXECUTE ON FUNCTION deactivate_seller(text), activate_seller(text), set_seller_countries(text, text[])
    TO lead_assigner_admin;
REVOKE EXECUTE ON FUNCTION preview_assignments(), explain_lead(text), seller_availability() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION preview_assignments(), explain_lead(text), seller_availability()
    TO lead_assigner_app, lead_assigner_admin;
REVOKE EXECUTE ON FUNCTION check_invariants(), repair_assignments(), maintain() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION check_invariants(), repair_assignments(), maintain() TO lead_assigner_admin;
REVOKE EXECUTE ON FUNCTION start_simulation(interval), start_simulation(), stop_simulation(), simulation_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION start_simulation(interval), start_simulation(), stop_simulation() TO lead_assigner_admin;
GRANT EXECUTE ON FUNCTION simulation_status() TO lead_assigner_app, lead_assigner_admin;

GRANT USAGE ON SCHEMA lead_management TO lead_assigner_app, lead_assigner_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA lead_management TO lead_assigner_app, lead_assigner_admin;
GRANT INSERT, UPDATE ON lead_management.leads TO lead_assigner_app;
GRANT INSERT, UPDATE, DELETE ON lead_management.leads, lead_management.sellers, lead_management.seller_hours,
    lead_management.seller_countries, lead_management.countries,
    lead_management.document_types, lead_management.business_lines, lead_management.assignment_statuses
    TO lead_assigner_admin;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA lead_management TO lead_assigner_admin;

-- lead_assigner.accept_timeout requeues every Assigned lead of the database, so it is
-- superuser-only (PGC_SUSET) and only the admin role is let SET it besides. The grant is
-- cluster-wide, like the roles: a second database finds it made, two at once race to make it.
DO $$
BEGIN
    IF NOT has_parameter_privilege('lead_assigner_admin', 'lead_assigner.accept_timeout', 'SET') THEN
        GRANT SET ON PARAMETER lead_assigner.accept_timeout TO lead_assigner_admin;
    END IF;
EXCEPTION WHEN unique_violation THEN NULL;
END
$$;

-- pg_cron (when this database has it) runs maintain() every day; without pg_cron, schedule it by
-- hand (README, "Audit retention"). No partition is created here: objects an extension script
-- creates belong to the extension and pg_dump would leave their rows out, while the partitions
-- maintain() creates later are ordinary tables that pg_dump backs up. Until then the DEFAULT
-- partition (registered for pg_dump) takes every row.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cron.schedule('lead_assigner_maintenance', '17 3 * * *', 'SELECT public.maintain()');
    END IF;
END
$$;
