// Prisma CLI configuration. The app itself connects through driver adapters (src/db/client.ts);
// this URL only matters for Prisma CLI commands run where the schema engine binary exists.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/troly06" },
});
