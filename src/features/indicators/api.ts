// POST /api/indicators: systems that push figures. Bearer token (checked by the admin API), JSON body
// validated with zod; the rows go through the same validation as file imports. Any row error → 422
// with every problem listed and nothing written; a malformed body → 400.
//
// {"source": "igate", "dryRun": false, "rows": [{"unit_code": "44", "period": "2024-03",
//   "indicator": "dvc25_tong", "numerator": 151446, "denominator": "230.745", "reported_rate": "67"}]}
import { z } from "zod";
import { parseOr400, type ApiRoutes } from "../../http/admin-api.ts";
import { audit } from "../../security/audit.ts";
import { importRows, type RawRow } from "./importer.ts";

const cell = z.union([z.string().max(64), z.number(), z.null()]).optional();

const bodySchema = z.strictObject({
  /** Who is pushing (recorded as "api:<source>"). */
  source: z.string().trim().regex(/^[\p{L}\p{N} ._-]{1,40}$/u, "source: chữ, số, dấu cách . _ - (tối đa 40 ký tự)").default("token"),
  dryRun: z.boolean().default(false),
  rows: z
    .array(
      z.strictObject({
        unit_code: z.union([z.string().max(32), z.number()]),
        period: z.union([z.string().max(20), z.number()]),
        indicator: z.string().max(40),
        numerator: z.union([z.string().max(64), z.number()]),
        denominator: cell,
        reported_rate: cell,
      }),
    )
    .min(1, "rows: cần ít nhất một dòng")
    .max(200_000, "rows: tối đa 200.000 dòng mỗi lần"),
});

export const indicatorsApi: ApiRoutes = (app, deps) => {
  app.post("/indicators", { bodyLimit: 32 * 1024 * 1024 }, async (request, reply) => {
    const body = parseOr400(bodySchema, request.body, reply);
    if (!body) return reply;
    const rows: RawRow[] = body.rows.map((r, i) => ({ line: i + 1, ...r, unit_code: String(r.unit_code), period: String(r.period) }));
    const enteredBy = `api:${body.source}`;
    const result = await importRows(deps.prisma, rows, { source: "API", enteredBy, dryRun: body.dryRun });
    const issues = (list: typeof result.errors) => list.map((e) => ({ row: e.line, message: e.message }));
    if (result.errors.length) {
      return reply.code(422).send({ error: "validation_failed", rows: result.rows, errors: issues(result.errors), warnings: issues(result.warnings) });
    }
    if (!body.dryRun) {
      await audit(deps.prisma, {
        actorLabel: enteredBy,
        action: "indicators.import",
        detail: { rows: result.rows, imported: result.imported, superseded: result.superseded, warnings: result.warnings.length },
      });
    }
    return {
      dryRun: body.dryRun,
      rows: result.rows,
      imported: result.imported,
      superseded: result.superseded,
      unchanged: result.unchanged,
      warnings: issues(result.warnings),
    };
  });
};
