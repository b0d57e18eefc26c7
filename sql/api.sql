-- Runs last: views, descriptions of the SQL API, roles and privileges.

CREATE VIEW lead_management.seller_workload AS
SELECT s.document_number,
       s.given_name || ' ' || s.surname AS seller,
       b.name AS business_line,
       s.is_active,
       s.max_leads_count,
       count(a.assignment_id) AS open_leads,
       greatest(s.max_leads_count - count(a.assignment_id), 0) AS free_capacity
FROM lead_management.sellers s
JOIN lead_management.business_lines b USING (business_line_id)
LEFT JOIN (lead_management.assignments a
           JOIN lead_management.assignment_statuses st
             ON st.assignment_status_id = a.assignment_status_id AND st.occupies_capacity)
       ON a.seller_document_number = s.document_number
GROUP BY s.document_number, b.name
ORDER BY b.name, s.document_number;
COMMENT ON VIEW lead_management.seller_workload IS 'Per seller: open leads (statuses that occupy capacity), capacity and free slots';

CREATE VIEW lead_management.pending_by_business_line AS
SELECT b.business_line_id,
       b.name AS business_line,
       (SELECT count(*) FROM lead_management.assignments a
          JOIN lead_management.leads l ON l.document_number = a.lead_document_number
          JOIN lead_management.assignment_statuses st ON st.assignment_status_id = a.assignment_status_id
         WHERE l.business_line_id = b.business_line_id AND lower(st.name) = 'pending') AS pending_leads,
       (SELECT count(*) FROM lead_management.sellers s
         WHERE s.business_line_id = b.business_line_id AND s.is_active) AS active_sellers,
       (SELECT coalesce(sum(w.free_capacity), 0) FROM lead_management.seller_workload w
          JOIN lead_management.sellers s USING (document_number)
         WHERE s.business_line_id = b.business_line_id AND s.is_active) AS free_capacity
FROM lead_management.business_lines b
ORDER BY b.business_line_id;
COMMENT ON VIEW lead_management.pending_by_business_line IS 'Per business line: leads waiting for a seller, active sellers and their free slots';

CREATE VIEW lead_management.recent_runs AS
SELECT run_id, kind, started_at, finished_at - started_at AS duration, strategy,
       pending_before, eligible_sellers, assigned, generated, inserted, skipped
FROM lead_management.assignment_runs
ORDER BY run_id DESC
LIMIT 20;
COMMENT ON VIEW lead_management.recent_runs IS 'The last 20 assign_leads() and simulate_cycle() runs, newest first';

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
COMMENT ON FUNCTION activate_seller(text) IS
    'Makes a seller eligible for new leads again; returns false if they already were active. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION start_simulation(interval) IS
    'Schedules (or reschedules) the pg_cron job lead_assigner_simulation running simulate_cycle() every interval; returns the pg_cron schedule. Sub-minute intervals need pg_cron 1.5+. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION start_simulation() IS
    'start_simulation(interval) at the finest interval the installed pg_cron supports (10 seconds on pg_cron 1.5+, 1 minute on 1.4), named in a NOTICE. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION stop_simulation() IS
    'Unschedules the pg_cron simulation job; returns whether it was scheduled. Admin role (lead_assigner_admin) only.';
COMMENT ON FUNCTION simulation_status() IS
    'Whether the simulation job is scheduled, its schedule, and how its runs went (from cron.job_run_details). Roles: lead_assigner_app, lead_assigner_admin.';

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
    set_assignment_status(text, text), deactivate_seller(text), activate_seller(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION assign_leads(), simulate_cycle(integer), get_status_id(text),
    set_assignment_status(text, text) TO lead_assigner_app, lead_assigner_admin;
GRANT EXECUTE ON FUNCTION deactivate_seller(text), activate_seller(text) TO lead_assigner_admin;
REVOKE EXECUTE ON FUNCTION start_simulation(interval), start_simulation(), stop_simulation(), simulation_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION start_simulation(interval), start_simulation(), stop_simulation() TO lead_assigner_admin;
GRANT EXECUTE ON FUNCTION simulation_status() TO lead_assigner_app, lead_assigner_admin;

GRANT USAGE ON SCHEMA lead_management TO lead_assigner_app, lead_assigner_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA lead_management TO lead_assigner_app, lead_assigner_admin;
GRANT INSERT, UPDATE ON lead_management.leads TO lead_assigner_app;
GRANT INSERT, UPDATE, DELETE ON lead_management.leads, lead_management.sellers, lead_management.countries,
    lead_management.document_types, lead_management.business_lines, lead_management.assignment_statuses
    TO lead_assigner_admin;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA lead_management TO lead_assigner_admin;
