-- Attaches the Rust trigger functions. Reference rows were inserted before this file runs, so
-- the audit trail starts with the first change a user makes.

-- The writing triggers run as the extension owner: a role allowed to change leads still cannot
-- insert into (let alone forge) audit_logs or assignment_records directly.
ALTER FUNCTION lead_management.audit_row_change() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION lead_management.record_assignment_version() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION lead_management.create_pending_assignment() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION lead_management.enforce_assignment_rules() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION lead_management.audit_row_change() IS
    'Trigger (Rust): writes one audit_logs row with the old and new row images as jsonb for every insert, update and delete';
COMMENT ON FUNCTION lead_management.record_assignment_version() IS
    'Trigger (Rust): copies every inserted or updated assignments row into assignment_records';
COMMENT ON FUNCTION lead_management.create_pending_assignment() IS
    'Trigger (Rust): gives every new lead its Pending assignments row';
COMMENT ON FUNCTION lead_management.enforce_assignment_rules() IS
    'Trigger (Rust): direct UPDATEs keep the rules: a lead or seller changing business line, or a seller deactivated, releases open leads to Pending; capacity cannot drop below open leads; a status in use keeps its occupies_capacity';
COMMENT ON FUNCTION lead_management.refuse_history_rewrite() IS
    'Trigger (Rust): keeps audit_logs and assignment_records append-only for everyone but superusers';

DO $$
DECLARE
    audited text;
BEGIN
    FOREACH audited IN ARRAY ARRAY['countries', 'document_types', 'business_lines', 'assignment_statuses',
                                   'leads', 'sellers', 'assignments', 'assignment_records',
                                   'assignment_runs', 'round_robin_cursors']
    LOOP
        EXECUTE format('CREATE TRIGGER audit_row_change AFTER INSERT OR UPDATE OR DELETE ON lead_management.%I '
                       'FOR EACH ROW EXECUTE FUNCTION lead_management.audit_row_change()', audited);
    END LOOP;
END
$$;

CREATE TRIGGER create_pending_assignment AFTER INSERT ON lead_management.leads
    FOR EACH ROW EXECUTE FUNCTION lead_management.create_pending_assignment();

CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF business_line_id ON lead_management.leads
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();
CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF is_active, business_line_id, max_leads_count ON lead_management.sellers
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();
CREATE TRIGGER enforce_assignment_rules AFTER UPDATE OF occupies_capacity ON lead_management.assignment_statuses
    FOR EACH ROW EXECUTE FUNCTION lead_management.enforce_assignment_rules();

CREATE TRIGGER record_assignment_version AFTER INSERT OR UPDATE ON lead_management.assignments
    FOR EACH ROW EXECUTE FUNCTION lead_management.record_assignment_version();

CREATE TRIGGER refuse_history_rewrite BEFORE UPDATE OR DELETE ON lead_management.audit_logs
    FOR EACH ROW EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_truncate BEFORE TRUNCATE ON lead_management.audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_rewrite BEFORE UPDATE OR DELETE ON lead_management.assignment_records
    FOR EACH ROW EXECUTE FUNCTION lead_management.refuse_history_rewrite();
CREATE TRIGGER refuse_history_truncate BEFORE TRUNCATE ON lead_management.assignment_records
    FOR EACH STATEMENT EXECUTE FUNCTION lead_management.refuse_history_rewrite();
