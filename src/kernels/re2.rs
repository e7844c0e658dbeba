//! `tf.strings.regex_full_match` and `regex_replace`. TensorFlow's patterns are RE2's; the
//! regex crate reads RE2's syntax but for a few points, which `translate` rewrites: `\d`,
//! `\w`, `\s` and `\b` are ASCII in RE2 and Unicode here, `\Q...\E` quotes, and inside a
//! character class RE2 takes `[` and `&&` literally where the crate nests and intersects.

use regex::bytes::Regex as ByteRegex;
use regex::Regex;

use super::strings::strings;
use crate::engine::{Error, Result, StringBuf, Tensor};

/// A compiled pattern: text is matched as UTF-8 when it is (so an empty match never splits
/// a character, as in RE2), else as bytes.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: Regex,
    bytes: ByteRegex,
}

impl Pattern {
    /// Compiles `pattern`; `whole` anchors it at both ends (a full match).
    pub fn new(pattern: &str, whole: bool) -> Result<Pattern> {
        let mut syntax = translate(pattern);
        if whole {
            syntax = format!(r"\A(?:{syntax})\z");
        }
        let invalid = |e: regex::Error| {
            Error::InvalidArgument(format!("Invalid pattern: {pattern}, error: {e}"))
        };
        Ok(Pattern {
            text: Regex::new(&syntax).map_err(invalid)?,
            bytes: ByteRegex::new(&syntax).map_err(invalid)?,
        })
    }

    fn is_match(&self, item: &[u8]) -> bool {
        match std::str::from_utf8(item) {
            Ok(text) => self.text.is_match(text),
            Err(_) => self.bytes.is_match(item),
        }
    }

    /// `item` with its first match (or every match, `global`) replaced by `rewrite`.
    fn replace(&self, item: &[u8], rewrite: &Rewrite, global: bool, out: &mut Vec<u8>) {
        let mut done = 0;
        // Splices in one match, given the spans of its groups; false stops after it.
        let mut splice = |span: &dyn Fn(usize) -> Option<(usize, usize)>| {
            let (start, end) = span(0).expect("the whole match");
            out.extend_from_slice(&item[done..start]);
            rewrite.expand(|g| span(g).map(|(s, e)| &item[s..e]), out);
            done = end;
            global
        };
        macro_rules! splice_each {
            ($matches:expr, $span:expr) => {
                for m in $matches {
                    if !splice(&|g| $span(&m, g)) {
                        break;
                    }
                }
            };
        }
        let whole = |start, end| move |g: usize| (g == 0).then_some((start, end));
        // Finding matches is cheaper than capturing groups; only a rewrite naming a
        // group needs them.
        match (std::str::from_utf8(item), rewrite.uses_groups()) {
            (Ok(text), true) => {
                splice_each!(self.text.captures_iter(text), |c: &regex::Captures, g| c
                    .get(g)
                    .map(|m| (m.start(), m.end())))
            }
            (Ok(text), false) => splice_each!(self.text.find_iter(text), |m: &regex::Match, g| {
                whole(m.start(), m.end())(g)
            }),
            (Err(_), true) => splice_each!(
                self.bytes.captures_iter(item),
                |c: &regex::bytes::Captures, g| c.get(g).map(|m| (m.start(), m.end()))
            ),
            (Err(_), false) => {
                splice_each!(self.bytes.find_iter(item), |m: &regex::bytes::Match, g| {
                    whole(m.start(), m.end())(g)
                })
            }
        }
        out.extend_from_slice(&item[done..]);
    }

    fn groups(&self) -> usize {
        self.text.captures_len() - 1
    }
}

/// RE2's syntax in the regex crate's terms (see the module's comment).
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    // Inside a class, and whether a `]` now would be its first member (so literal).
    let mut class: Option<bool> = None;
    while let Some(c) = chars.next() {
        let first_in_class = class == Some(true);
        if class.is_some() {
            class = Some(false);
        }
        match c {
            '\\' => match chars.next() {
                Some('Q') => {
                    let mut quoted = String::new();
                    while let Some(q) = chars.next() {
                        if q == '\\' && chars.peek() == Some(&'E') {
                            chars.next();
                            break;
                        }
                        quoted.push(q);
                    }
                    out.push_str(&regex::escape(&quoted));
                }
                Some(k @ ('d' | 'D' | 'w' | 'W' | 's' | 'S')) => {
                    out.push_str(ascii_class(k, class.is_some()))
                }
                Some(k @ ('b' | 'B')) if class.is_none() => {
                    out.push_str(if k == 'b' { r"(?-u:\b)" } else { r"(?-u:\B)" })
                }
                Some(k) => {
                    out.push('\\');
                    out.push(k);
                }
                None => out.push('\\'),
            },
            '[' if class.is_none() => {
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                class = Some(true);
            }
            '[' if chars.peek() == Some(&':') => {
                // A named ASCII class such as [:alpha:], the same in both.
                out.push('[');
                for n in chars.by_ref() {
                    out.push(n);
                    if n == ']' {
                        break;
                    }
                }
            }
            ']' if class.is_some() && !first_in_class => {
                out.push(']');
                class = None;
            }
            '[' | '&' | '~' if class.is_some() => {
                out.push('\\');
                out.push(c);
            }
            // RE2 reads "--" in a class as a range that starts or ends at '-', where the
            // crate reads set difference: escape the '-' that is a range's end point.
            '-' if class.is_some() && chars.peek() == Some(&'-') => {
                if first_in_class {
                    out.push_str("\\-");
                } else {
                    chars.next();
                    out.push_str("-\\-");
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// RE2's ASCII meaning of a Perl class, as a class (or, inside one, its members).
fn ascii_class(k: char, in_class: bool) -> &'static str {
    match (k, in_class) {
        ('d', false) => "[0-9]",
        ('d', true) => "0-9",
        ('D', _) => "[^0-9]",
        ('w', false) => "[0-9A-Za-z_]",
        ('w', true) => "0-9A-Za-z_",
        ('W', _) => "[^0-9A-Za-z_]",
        ('s', false) => r"[\t\n\x0C\r ]",
        ('s', true) => r"\t\n\x0C\r ",
        _ => r"[^\t\n\x0C\r ]",
    }
}

/// One piece of a rewrite: literal text or a captured group.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(Vec<u8>),
    Group(usize),
}

/// An RE2 rewrite string: `\0`..`\9` insert a group, `\\` a backslash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite(Vec<Piece>);

impl Rewrite {
    /// Parses `rewrite` for `pattern`, refusing what RE2 refuses (an unknown escape, a group
    /// the pattern does not have), which TensorFlow would pass over silently.
    pub fn new(rewrite: &[u8], pattern: &Pattern) -> Result<Rewrite> {
        let mut pieces = Vec::new();
        let mut text = Vec::new();
        let mut bytes = rewrite.iter();
        while let Some(&b) = bytes.next() {
            if b != b'\\' {
                text.push(b);
                continue;
            }
            match bytes.next() {
                Some(b'\\') => text.push(b'\\'),
                Some(&d) if d.is_ascii_digit() => {
                    let group = usize::from(d - b'0');
                    if group > pattern.groups() {
                        return Err(Error::InvalidArgument(format!(
                            "regex_replace: the rewrite refers to group {group}, but the \
                             pattern has {}",
                            pattern.groups()
                        )));
                    }
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                    pieces.push(Piece::Group(group));
                }
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "regex_replace: invalid rewrite pattern {:?} (a backslash goes \
                         before a digit or another backslash)",
                        String::from_utf8_lossy(rewrite)
                    )))
                }
            }
        }
        pieces.push(Piece::Text(text));
        pieces.retain(|p| p != &Piece::Text(Vec::new()));
        Ok(Rewrite(pieces))
    }

    /// Whether it inserts a group other than the whole match.
    fn uses_groups(&self) -> bool {
        self.0
            .iter()
            .any(|p| matches!(p, Piece::Group(g) if *g > 0))
    }

    fn expand<'a>(&self, group: impl Fn(usize) -> Option<&'a [u8]>, out: &mut Vec<u8>) {
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.extend_from_slice(t),
                Piece::Group(g) => out.extend_from_slice(group(*g).unwrap_or_default()),
            }
        }
    }
}

/// Whether each string matches `pattern` (compiled `whole`) entirely.
pub fn full_match(t: &Tensor, pattern: &Pattern) -> Result<Tensor> {
    let s = strings(t, "regex_full_match")?;
    let matched: Vec<bool> = s.iter().map(|item| pattern.is_match(item)).collect();
    Tensor::new(t.shape().to_vec(), matched)
}

/// Each string with the first match of `pattern`, or every match (`global`), replaced.
pub fn replace(t: &Tensor, pattern: &Pattern, rewrite: &Rewrite, global: bool) -> Result<Tensor> {
    let s = strings(t, "regex_replace")?;
    let mut out = StringBuf::with_capacity(s.len(), s.values().len());
    let mut item_out = Vec::new();
    for item in s.iter() {
        item_out.clear();
        pattern.replace(item, rewrite, global, &mut item_out);
        out.push(&item_out);
    }
    Tensor::new(t.shape().to_vec(), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replaced(text: &str, pattern: &str, rewrite: &str, global: bool) -> String {
        let p = Pattern::new(pattern, false).unwrap();
        let r = Rewrite::new(rewrite.as_bytes(), &p).unwrap();
        let mut out = Vec::new();
        p.replace(text.as_bytes(), &r, global, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn matches(text: &[u8], pattern: &str) -> bool {
        Pattern::new(pattern, true).unwrap().is_match(text)
    }

    #[test]
    fn replaces_as_re2_does() {
        assert_eq!(replaced("aXbXc", "X", "-", true), "a-b-c");
        assert_eq!(replaced("aXbXc", "X", "-", false), "a-bXc");
        assert_eq!(replaced("abc", "x*", "-", true), "-a-b-c-");
        assert_eq!(replaced("abc", "b*", "-", true), "-a-c-");
        assert_eq!(replaced("hé", "", "-", true), "-h-é-");
        assert_eq!(
            replaced("john smith", r"(\w+) (\w+)", r"\2, \1", true),
            "smith, john"
        );
        assert_eq!(replaced("ab", "b", r"<\0>$1\\", true), r"a<b>$1\");
        assert_eq!(replaced("a.b", r"\Q.\E", "x", true), "axb");
        assert_eq!(
            replaced("Hello, World!", "[[:punct:]]", "", true),
            "Hello World"
        );
        let p = Pattern::new("(b)", false).unwrap();
        assert!(Rewrite::new(br"\2", &p).is_err());
        assert!(Rewrite::new(br"\a", &p).is_err());
    }

    #[test]
    fn perl_classes_are_ascii_as_in_re2() {
        assert!(!matches("héllo wörld".as_bytes(), r"\w+ \w+"));
        assert!(matches(b"hello world", r"\w+ \w+"));
        assert!(!matches("١٢٣".as_bytes(), r"\d+"));
        assert!(!matches(b"\x0b", r"\s"));
        assert!(matches(b" ", r"[\s]"));
        assert!(!matches("é x".as_bytes(), r".\b.*"));
        assert!(matches(b"&", r"[[a]+|[&&]"));
        assert!(matches(b"a[", r"[[a]+"));
        assert!(matches(b"]", r"[]a]"));
        assert!(matches(b",", r"[+--]") && !matches(b"a", r"[+--]"));
        assert!(matches(b".", r"[--/]") && matches(b"-", r"[--/]"));
        assert!(!matches(b"\xff", "."));
        assert!(Pattern::new("a(b", true).is_err());
    }
}
