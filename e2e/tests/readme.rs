//! The README's SQL API table against the catalog: every function the extension creates in
//! `public` is in the table with the argument names and types the catalog has, so calls with
//! named arguments written from the README work.

use std::collections::BTreeSet;

use lead_assigner_e2e::*;

/// `name(arguments)` from the first cell of every row of the README's "SQL API" table.
fn readme_signatures() -> BTreeSet<String> {
    let readme = include_str!("../../README.md");
    let section = readme.split("\n## SQL API\n").nth(1).expect("a \"## SQL API\" section in README.md");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|cell| cell.split_once('`').map(|(signature, _)| signature.to_owned()))
        .filter(|signature| signature.contains('('))
        .collect()
}

#[test]
fn the_readme_api_table_names_every_function_and_argument_as_the_catalog_does() {
    let mut client = connect(&fresh_database("readme_api"));
    let catalog: BTreeSet<String> = client
        .query(
            "SELECT p.proname || '(' || pg_get_function_arguments(p.oid) || ')'
             FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
             JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'lead_assigner'
             WHERE p.pronamespace = 'public'::regnamespace",
            &[],
        )
        .expect("the extension's functions")
        .iter()
        .map(|row| row.get(0))
        .collect();
    let readme = readme_signatures();
    assert!(readme.len() >= 10, "too few signatures read from the README: {readme:?}");
    let only_readme: Vec<_> = readme.difference(&catalog).collect();
    let only_catalog: Vec<_> = catalog.difference(&readme).collect();
    assert!(
        only_readme.is_empty() && only_catalog.is_empty(),
        "README's SQL API table and the catalog differ:\nonly in the README: {only_readme:#?}\nonly in the catalog: {only_catalog:#?}"
    );
    // Named arguments as the README writes them.
    client
        .batch_execute(&format!(
            "{SEED_SELLERS};
             SELECT * FROM simulate_cycle(n => 1);
             SELECT get_status_id(name => 'On Hold');
             SELECT set_assignment_status(lead => (SELECT min(document_number) FROM lead_management.leads), status => 'Lost');
             SELECT * FROM explain_lead(lead => (SELECT min(document_number) FROM lead_management.leads));
             SELECT deactivate_seller(seller => '1001'), activate_seller(seller => '1001');"
        ))
        .unwrap_or_else(|error| panic!("named arguments: {}", describe(&error)));
}
