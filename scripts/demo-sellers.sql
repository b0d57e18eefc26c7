-- Demo sellers for `make run` / scripts/run and the Docker image: the original seed's four
-- (capacities 50, 30, 40, 25 on business lines 1, 2, 3, 1) plus four more, so that every business
-- line (1 Insurance, 2 Banking, 3 Real Estate, 4 Automotive) has at least two active sellers.
-- Safe to load again: rows whose document number or email already exist are left as they are.
INSERT INTO lead_management.sellers
    (document_number, given_name, surname, phone, email, max_leads_count, is_active, business_line_id)
VALUES
    -- the seed's four
    ('SELLER-001', 'Ana',     'Gómez',    '+1 555-0101', 'ana.gomez@example.com',      50, true, 1),
    ('SELLER-002', 'Bruno',   'Silva',    '+1 555-0102', 'bruno.silva@example.com',    30, true, 2),
    ('SELLER-003', 'Carla',   'Mendes',   '+1 555-0103', 'carla.mendes@example.com',   40, true, 3),
    ('SELLER-004', 'Diego',   'Ramírez',  '+1 555-0104', 'diego.ramirez@example.com',  25, true, 1),
    -- a second seller for Banking and Real Estate, two for Automotive
    ('SELLER-005', 'Elena',   'Torres',   '+1 555-0105', 'elena.torres@example.com',   20, true, 2),
    ('SELLER-006', 'Felipe',  'Castro',   '+1 555-0106', 'felipe.castro@example.com',  20, true, 3),
    ('SELLER-007', 'Gabriela','Rocha',    '+1 555-0107', 'gabriela.rocha@example.com', 30, true, 4),
    ('SELLER-008', 'Hugo',    'Martins',  '+1 555-0108', 'hugo.martins@example.com',   15, true, 4)
ON CONFLICT DO NOTHING;

-- Territories: each line's sellers split its countries between them (SELLER-008 covers every
-- country), so the dashboard shows leads routed by country. Only sellers without a territory yet
-- get one: loading again keeps the territories a person changed.
INSERT INTO lead_management.seller_countries (seller_document_number, country_id)
SELECT d.seller, c.country_id
FROM (VALUES ('SELLER-001', ARRAY['US', 'CA', 'CO']),
             ('SELLER-004', ARRAY['MX', 'CO', 'BR']),
             ('SELLER-002', ARRAY['US', 'MX']),
             ('SELLER-005', ARRAY['CA', 'CO', 'BR']),
             ('SELLER-003', ARRAY['CO', 'BR']),
             ('SELLER-006', ARRAY['US', 'CA', 'MX']),
             ('SELLER-007', ARRAY['US', 'CA', 'MX', 'CO'])) AS d(seller, codes)
JOIN lead_management.countries c ON c.code = ANY(d.codes)
WHERE EXISTS (SELECT FROM lead_management.sellers s WHERE s.document_number = d.seller)
  AND NOT EXISTS (SELECT FROM lead_management.seller_countries t WHERE t.seller_document_number = d.seller)
ON CONFLICT DO NOTHING;
