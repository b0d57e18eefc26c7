"""assign_leads() as the workloads time it, and what it is compared with: the set-based first-fit
UPDATE (the floor with the triggers off, the baseline of #6 with them on), the checksum that proves
both wrote the same assignments, and the rolled-back transaction every timed variant runs in."""

from .harness import settle, timed

# Greedy = first fit in document_number order per business line. Seller k of a line (active, with
# room, in document_number order) takes the leads ranked (last_rank_k - room_k, last_rank_k]. Merging the
# pending leads (by rank) with the sellers' start positions in one ordered stream, the seller of a
# lead is the last seller seen before it; seller document numbers grow along the stream, so that
# is a running max(). Leads ranked past the last seller's end stay pending.
FIRST_FIT_UPDATE = """
WITH status AS (
    SELECT (SELECT assignment_status_id FROM lead_management.assignment_statuses
            WHERE lower(btrim(name)) = 'pending') AS pending,
           (SELECT assignment_status_id FROM lead_management.assignment_statuses
            WHERE lower(btrim(name)) = 'assigned') AS assigned
), open_load AS (
    SELECT seller_document_number, count(*) AS open_leads
    FROM lead_management.assignments
    WHERE assignment_status_id IN (SELECT assignment_status_id FROM lead_management.assignment_statuses
                                   WHERE occupies_capacity)
    GROUP BY seller_document_number
), seller_room AS (
    SELECT s.document_number, s.business_line_id, s.max_leads_count - coalesce(o.open_leads, 0) AS room
    FROM lead_management.sellers s
    LEFT JOIN open_load o ON o.seller_document_number = s.document_number
    WHERE s.is_active AND s.max_leads_count - coalesce(o.open_leads, 0) > 0
), seller_start AS (
    SELECT document_number AS seller, business_line_id,
           sum(room) OVER (PARTITION BY business_line_id ORDER BY document_number
                           ROWS UNBOUNDED PRECEDING) AS last_rank,
           room
    FROM seller_room
), pending_rank AS (
    SELECT a.lead_document_number AS lead, l.business_line_id,
           row_number() OVER (PARTITION BY l.business_line_id ORDER BY a.lead_document_number) AS rank
    FROM lead_management.assignments a
    JOIN lead_management.leads l ON l.document_number = a.lead_document_number
    WHERE a.assignment_status_id = (SELECT pending FROM status)
), stream AS (
    -- kind 0 = lead, 1 = a seller starting after `rank`: at equal ranks the lead comes first.
    SELECT business_line_id, rank, 0 AS kind, lead, NULL::text COLLATE "C" AS seller, NULL::numeric AS last_rank
    FROM pending_rank
    UNION ALL
    SELECT business_line_id, last_rank - room, 1, NULL, seller, last_rank
    FROM seller_start
), first_fit AS (
    SELECT lead, kind, rank,
           max(seller) OVER w AS seller,
           max(last_rank) OVER w AS seller_last_rank
    FROM stream
    WINDOW w AS (PARTITION BY business_line_id ORDER BY rank, kind ROWS UNBOUNDED PRECEDING)
)
UPDATE lead_management.assignments a
SET seller_document_number = p.seller, assignment_status_id = (SELECT assigned FROM status),
    assigned_at = now(), updated_at = now()
FROM first_fit p
WHERE p.kind = 0 AND p.rank <= p.seller_last_rank
  AND a.lead_document_number = p.lead AND a.assignment_status_id = (SELECT pending FROM status)
"""

ASSIGNMENT_CHECKSUM = """
SELECT '@', 'checksum:{label}', count(*) || ' ' || coalesce(md5(string_agg(
           lead_document_number || '>' || seller_document_number, ',' ORDER BY lead_document_number)), '-')
FROM lead_management.assignments
WHERE assignment_status_id = (SELECT assignment_status_id FROM lead_management.assignment_statuses
                              WHERE lower(btrim(name)) = 'assigned');
"""

ASSIGN_TABLES = ["lead_management.assignments", "lead_management.assignment_records",
                 "lead_management.audit_logs", "lead_management.assignment_runs", "lead_management.seller_loads",
                 "lead_management.assignment_queue", "lead_management.seller_hourly_assignments",
                 "lead_management.sellers", "lead_management.seller_hours"]

REPLICA = "SET LOCAL session_replication_role = replica;\n"
GREEDY = "SET LOCAL lead_assigner.strategy = greedy;\n"  # whatever the server default is
ASSIGN = "SELECT assign_leads()"

# assign_leads() and the set-based baseline with the same triggers (#6), as W2 and W5 compare them.
ASSIGN_VS_BASELINE = {"assign_leads": (GREEDY, ASSIGN), "baseline": ("", FIRST_FIT_UPDATE)}


def timed_transaction(label, setup, statement, checksum=True):
    return ("BEGIN;\n" + setup + timed(label, statement)
            + (ASSIGNMENT_CHECKSUM.format(label=label) if checksum else "")
            + "ROLLBACK;\n" + settle(ASSIGN_TABLES))
