/**
 * Tests call kinds and validators directly (`kind.schema.parse`, `kind.evaluate`), as the runner
 * does after loading the SQL parser; the parser loads lazily (docs/architecture.md, "Start-up"), so
 * every test file starts with it loaded, as a run would.
 */
import { ensureParser } from '../../src/sql/parse.js';

await ensureParser();
