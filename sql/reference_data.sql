-- Reference rows every installation starts with (the original seed's). Their ids are fixed: the
-- pg_extension_config_dump filters in schema.sql rely on them.

INSERT INTO lead_management.countries (country_id, name, code) VALUES
    (1, 'United States', 'US'),
    (2, 'Canada', 'CA'),
    (3, 'Mexico', 'MX'),
    (4, 'Colombia', 'CO'),
    (5, 'Brazil', 'BR');
SELECT pg_catalog.setval('lead_management.countries_country_id_seq', 5);

INSERT INTO lead_management.document_types (document_type_id, name) VALUES
    (1, 'National ID'),
    (2, 'Passport'),
    (3, 'Driver License'),
    (4, 'Tax ID');
SELECT pg_catalog.setval('lead_management.document_types_document_type_id_seq', 4);

INSERT INTO lead_management.business_lines (business_line_id, name, description) VALUES
    (1, 'Insurance', 'Life, health and property insurance'),
    (2, 'Banking', 'Accounts, cards and loans'),
    (3, 'Real Estate', 'Buying, selling and renting property'),
    (4, 'Automotive', 'New and used vehicles and financing');
SELECT pg_catalog.setval('lead_management.business_lines_business_line_id_seq', 4);

INSERT INTO lead_management.assignment_statuses (assignment_status_id, name, occupies_capacity) VALUES
    (1, 'Pending', false),
    (2, 'Assigned', true),
    (3, 'In Progress', true),
    (4, 'Won', false),
    (5, 'Lost', false);
SELECT pg_catalog.setval('lead_management.assignment_statuses_assignment_status_id_seq', 5);
