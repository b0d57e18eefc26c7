//! The extension's layers depend one way (src/lib.rs): `api` and `triggers` use the `engine`,
//! which uses `db`; the db layer never reaches up into any of them. Reads the source: needs no
//! server.

use std::fs;
use std::path::{Path, PathBuf};

/// The modules above the db layer.
const ABOVE_DB: [&str; 3] = ["engine", "api", "triggers"];

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code's tokens, comments and string literals left out: identifiers, `::`, and single
/// punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                chars.by_ref().find(|&c| c == '\n');
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                tokens.push("::".to_owned());
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = c.to_string();
                while let Some(&c) = chars.peek().filter(|c| c.is_alphanumeric() || **c == '_') {
                    word.push(c);
                    chars.next();
                }
                tokens.push(word);
            }
            c if c.is_whitespace() => {}
            c => tokens.push(c.to_string()),
        }
    }
    tokens
}

/// The modules of `ABOVE_DB` that `code` names in a path (`engine::Pair`, `crate::engine`) or in
/// a `use` statement (`use crate::{api, db};`).
fn layers_above_named(code: &str) -> Vec<String> {
    let tokens = tokens(code);
    let mut in_use = false;
    let mut named = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        match token.as_str() {
            "use" => in_use = true,
            ";" => in_use = false,
            name if ABOVE_DB.contains(&name) => {
                let in_path = tokens.get(i + 1).is_some_and(|t| t == "::") || (i > 0 && tokens[i - 1] == "::");
                if in_use || in_path {
                    named.push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    named
}

#[test]
fn layers_db_never_imports_the_layers_above() {
    let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/db");
    let files = rust_files(&db);
    assert!(files.len() > 3, "no db layer found in {}", db.display());
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let code = fs::read_to_string(file).expect("a source file");
            layers_above_named(&code).into_iter().map(move |name| format!("{} uses {name}", file.display()))
        })
        .collect();
    assert!(offenders.is_empty(), "the db layer reaches up: {offenders:?}");
}

#[test]
fn layers_check_sees_every_form_of_import() {
    for code in [
        "use crate::engine::Pair;",
        "use crate::{\n    errors::OrRaise,\n    engine,\n};",
        "fn f(p: &crate::engine::Pair) {}",
        "use super::super::api;",
        "let x = triggers::fire();",
    ] {
        assert!(!layers_above_named(code).is_empty(), "missed: {code}");
    }
    for code in [
        "use crate::errors::OrRaise; // not crate::engine",
        "static S: &str = \"SELECT engine::x FROM api\";",
        "let engine = 1; use super::Statement;",
    ] {
        assert_eq!(layers_above_named(code), Vec::<String>::new(), "{code}");
    }
}
