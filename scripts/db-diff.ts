// Prints the SQL that takes a database from the current migrations to prisma/schema.prisma.
// Offline: uses Prisma's schema engine compiled to WebAssembly, with an in-memory PGlite as the
// shadow database (where the existing migrations are replayed).
// Usage: npm run db:diff                 print the SQL still missing from prisma/migrations
//        npm run db:diff -- --create NAME write it as prisma/migrations/<timestamp>_NAME/migration.sql
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { createRequire } from "node:module";
import * as bindings from "@prisma/schema-engine-wasm/schema_engine_bg";

const root = path.resolve(import.meta.dirname, "..");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const migrationsDir = path.join(root, "prisma", "migrations");

async function loadMigrations() {
  const entries = (await readdir(migrationsDir, { withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  const lock = await readFile(lockPath, "utf8").catch(() => null);
  return {
    baseDir: migrationsDir,
    lockfile: { path: "migration_lock.toml", content: lock },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      entries.map(async (name) => ({
        path: name,
        migrationFile: {
          path: "migration.sql",
          content: { tag: "ok" as const, value: await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8") },
        },
      })),
    ),
  };
}

// The package's entry imports the .wasm file as an ES module (a bundler feature Node lacks), so the
// module is instantiated here by hand, exactly as that entry would.
// Node has WebAssembly; the project's type libraries (ES2023, no DOM) do not describe it.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: Record<string, unknown>): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

async function loadSchemaEngine() {
  const wasmPath = path.join(path.dirname(createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
  const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), {
    "./schema_engine_bg.js": bindings,
  });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bindings.SchemaEngine;
}

const SchemaEngine = await loadSchemaEngine();

const schema = await readFile(schemaPath, "utf8");
const factory = new PrismaPGlite(new PGlite());
// The engine expects the factory wrapped the way Prisma's CLI wraps it (results as Result objects).
const adapter = bindMigrationAwareSqlAdapterFactory(factory);
const engine = await SchemaEngine.new({ datamodels: [[schemaPath, schema]] }, (log: string) => void log, adapter);
const migrations = await loadMigrations();
const result = await engine.diff({
  from: migrations.migrationDirectories.length === 0 ? { tag: "empty" } : { tag: "migrations", ...migrations },
  to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
  script: true,
  exitCode: null,
  filters: { externalTables: [], externalEnums: [] },
});
const sql = result.stdout ?? "";
const createIndex = process.argv.indexOf("--create");
if (createIndex === -1) {
  process.stdout.write(sql);
} else if (!/\S/.test(sql.replace(/^--.*$/gm, ""))) {
  console.error("Schema and migrations already agree: nothing to create.");
} else {
  const name = (process.argv[createIndex + 1] ?? "").replace(/[^a-z0-9_]/gi, "_");
  if (!name) throw new Error("--create needs a migration name");
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), sql);
  await writeFile(path.join(migrationsDir, "migration_lock.toml"), 'provider = "postgresql"\n');
  console.error(`Wrote ${path.relative(root, dir)}/migration.sql`);
}
// PGlite keeps the event loop alive; this is a one-shot script.
process.exit(0);
