// Package batch prepares the credential offers of a registration drive:
// it reads a CSV file of people (one row each), types and validates every
// row against the credential type's schema (package schemas), asks an
// OfferCreator (the issuer's OpenID4VCI pre-authorized code offers,
// OpenID4VCI 1.0 §4.1) for one offer per good row, and writes for the desk
// one QR code PNG per offer, one printable A4 sheet (sheet.html) and a
// summary (summary.json). A bad row never blocks the good ones: it is
// reported with its line number and a reason that names columns and claim
// paths, never claim values.
//
// # CSV format
//
// UTF-8, with or without a byte order mark; comma-separated; fields quoted
// as in RFC 4180 (commas, quotes and line breaks inside quotes); CRLF or
// LF line ends. The first row is the header. Columns:
//
//   - reference (required): the operator's label for the person, a queue
//     ticket or case number. It is printed on the sheet and names the PNG
//     file; it is not a claim. References must be unique in a file.
//   - vct (optional when a default type is given, e.g. --type): the
//     credential type, urn:cairn:vct:<name>:<major> or its short name
//     (humanitarian-registration). An empty cell takes the default.
//   - tx_code (optional): yes or no (also true/false, 1/0, and as
//     schemas.ParseYesNo reads them in fr, ar, uk): whether the holder
//     must type a transaction code. An empty cell takes the default.
//   - evidence (optional): the name of one of the type's evidence presets
//     (schemas.Type.EvidencePresetNames, e.g. document-seen, declared-only
//     for a walk-in whose document was not seen). An empty cell takes the
//     type's default evidence. The registry's caps still apply.
//   - every other column is a claim. Its name is a JSON Pointer (RFC 6901,
//     starting with "/", e.g. /address/locality) or a dotted name
//     (given_name, address.locality, nationalities.0). A path segment made
//     of digits is an array index (at most 99). Names are case-sensitive.
//
// Cells are trimmed of surrounding spaces. An empty cell means the claim is
// absent (array elements are compacted: nationalities.0 empty and
// nationalities.1 = SO gives ["SO"]). Values are typed by the claim's
// description in the type, as at the issuer's prompt
// (schemas.Type.ClaimsFromText): integers and numbers are parsed as such,
// booleans are yes/no (true/false, 1/0, oui/non, …), dates must be
// YYYY-MM-DD (a birthdate also YYYY or YYYY-MM, which sets its
// precision), countries as codes or names in en/fr/ar/uk, allowed values are matched case-insensitively and written
// in their schema spelling, patterns are checked; a cell whose claim is a
// list of strings (a column named nationalities, not nationalities.0) is
// split on ";" into entries, each typed in turn. A cell that does not read
// as its claim, or a column that is no claim of the type, refuses the row
// with the claim's pointer and the rule ("/sex must be a whole number");
// a row whose cells all read is then validated against the schema. The
// evidence claim and the registered JWT
// claims (iss, exp, cnf, status, …) are set by the issuer and may not be
// columns. Rows whose cells are all empty are skipped.
//
// Limits: MaxFileSize bytes, MaxRows data rows (a larger file is refused as
// a whole), MaxFieldSize bytes per cell (a longer cell refuses its row).
//
// # Output directory
//
// Run refuses a directory that exists and is not empty, so one batch never
// overwrites another. It creates the directory (0700) and files (0600):
// offer QR codes are bearer secrets until redeemed. Per offer it writes
// <reference>-<line>.png, the reference reduced to ASCII letters, digits,
// "-" and "_" (so "../x" cannot leave the directory); then sheet.html and
// summary.json. The summary holds no offer URIs and no transaction codes;
// the sheet holds both and is meant to be printed, handed out and
// destroyed.
package batch
