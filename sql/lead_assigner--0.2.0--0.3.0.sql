-- lead_assigner 0.2.0 -> 0.3.0, run by ALTER EXTENSION lead_assigner UPDATE.
-- Every step leaves the catalog exactly as a fresh 0.3.0 install has it (the upgrade test compares
-- them) and keeps every row, audit row and history row.
\echo Use "ALTER EXTENSION lead_assigner UPDATE" to load this file. \quit
