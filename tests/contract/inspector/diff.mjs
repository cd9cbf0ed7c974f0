// Lists the changes between two SDL files with GraphQL Inspector (@graphql-inspector/core).
// Usage: node diff.mjs OLD.graphql NEW.graphql
// Prints {"breaking": [...], "dangerous": [...], "safe": [...]} (each {type, message, path}) and
// exits 1 when a change would break clients that were built against OLD.
import { readFileSync } from "node:fs";
import { CriticalityLevel, diff } from "@graphql-inspector/core";
import { buildSchema } from "graphql";

const [oldFile, newFile] = process.argv.slice(2);
if (!oldFile || !newFile) {
  console.error("usage: node diff.mjs OLD.graphql NEW.graphql");
  process.exit(2);
}
const load = (file) => buildSchema(readFileSync(file, "utf8"));
const changes = await diff(load(oldFile), load(newFile));
const pick = (level) =>
  changes
    .filter((c) => c.criticality.level === level)
    .map((c) => ({ type: c.type, message: c.message, path: c.path ?? null }));
const report = {
  breaking: pick(CriticalityLevel.Breaking),
  dangerous: pick(CriticalityLevel.Dangerous),
  safe: pick(CriticalityLevel.NonBreaking),
};
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
process.exit(report.breaking.length ? 1 : 0);
