// «Nhập số liệu»: a report file (.csv or .xlsx, the columns of `admin import-indicators`) is checked row
// by row with the importer's own validator, plus one check of the console's: every row's unit must be in
// the user's area. The check is shown in full; only a file without errors can be confirmed, and the
// confirmation imports it through importRows (one transaction). A wrong row imports nothing.
import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { cellText, readCsv, readXlsx, type RowError, type Table } from "../core/tabular.ts";
import { loadCatalog, ensureCatalog } from "../features/indicators/catalog.ts";
import { importRows, indicatorTable, RowValidator, type RawRow } from "../features/indicators/importer.ts";
import { audit } from "../security/audit.ts";
import { authorize } from "../security/policy.ts";
import { field, refused, sendPage, signedIn, signedPost, type ConsoleContext, type Signed } from "./context.ts";
import { html, notice, postForm, type Html } from "./html.ts";

const STAGE_TTL_SEC = 15 * 60;
const MAX_ROWS_SHOWN = 2000;

interface Staged {
  personId: number;
  name: string;
  data: string; // base64
}

/** Files waiting for confirmation: in Redis when there is one (any instance can confirm), else in memory. */
class Stage {
  private readonly memory = new Map<string, { value: Staged; until: number }>();
  constructor(private readonly c: ConsoleContext) {}
  private key(id: string) {
    return `${this.c.queues?.prefix ?? "troly06"}:console:import:${id}`;
  }
  async put(value: Staged): Promise<string> {
    const id = randomBytes(16).toString("base64url");
    if (this.c.redis) await this.c.redis.set(this.key(id), JSON.stringify(value), "EX", STAGE_TTL_SEC);
    else this.memory.set(id, { value, until: Date.now() + STAGE_TTL_SEC * 1000 });
    return id;
  }
  /** Taken once: a second confirmation of the same check finds nothing. */
  async take(id: string): Promise<Staged | undefined> {
    if (!/^[A-Za-z0-9_-]{22}$/.test(id)) return undefined;
    if (this.c.redis) {
      const rawValue = await this.c.redis.getdel(this.key(id));
      return rawValue ? (JSON.parse(rawValue) as Staged) : undefined;
    }
    const hit = this.memory.get(id);
    this.memory.delete(id);
    return hit && hit.until > Date.now() ? hit.value : undefined;
  }
}

async function readTable(name: string, data: Buffer): Promise<Table<keyof typeof indicatorTable.columns>> {
  const ext = name.toLowerCase().slice(name.lastIndexOf("."));
  if (ext === ".xlsx") return readXlsx(data, indicatorTable);
  if (ext === ".csv" || ext === ".txt") return readCsv(data.toString("utf8"), indicatorTable);
  if (ext === ".xls") return { rows: [], errors: [{ line: 0, message: "tệp .xls (Excel 97–2003) không được hỗ trợ: lưu lại thành .xlsx hoặc .csv" }] };
  return { rows: [], errors: [{ line: 0, message: "chỉ nhận tệp .csv hoặc .xlsx" }] };
}

interface Checked {
  rows: RawRow[];
  fileErrors: RowError[];
  errors: Map<number, string>;
  warnings: Map<number, string>;
}

/** The importer's checks, and the user's right to write figures for each row's unit. */
async function check(c: ConsoleContext, signed: Signed, name: string, data: Buffer): Promise<Checked> {
  const table = await readTable(name, data);
  if (table.errors.length) return { rows: table.rows, fileErrors: table.errors, errors: new Map(), warnings: new Map() };
  const catalog = loadCatalog();
  await ensureCatalog(c.prisma, catalog);
  const validator = await RowValidator.create(c.prisma, table.rows, catalog);
  const valid = validator.check(table.rows);
  const errors = new Map(validator.errors.map((e) => [e.line, e.message]));
  const decided = new Map<string, boolean>();
  for (const row of valid) {
    if (!decided.has(row.unitCode)) decided.set(row.unitCode, (await authorize(c.prisma, signed.user, "indicators.write", row.unitCode)).allowed);
    if (!decided.get(row.unitCode)) errors.set(row.line, `đơn vị "${cellText(table.rows.find((r) => r.line === row.line)?.unit_code)}" ngoài phạm vi của bạn: không được nhập số liệu cho đơn vị này`);
  }
  return { rows: table.rows, fileErrors: [], errors, warnings: new Map(validator.warnings.map((w) => [w.line, w.message])) };
}

function form(csrf: string): Html {
  return html`<form method="post" action="/console/nhap" enctype="multipart/form-data">
<input type="hidden" name="_csrf" value="${csrf}">
<label for="file">Tệp báo cáo (.xlsx hoặc .csv)</label>
<input id="file" name="file" type="file" accept=".xlsx,.csv" required aria-describedby="file-hint">
<p class="hint" id="file-hint">Các cột: Mã đơn vị, Kỳ báo cáo (2026-10, 2026-Q3, 2026…), Mã chỉ tiêu, Tử số, Mẫu số, Tỷ lệ báo cáo (không bắt buộc). Tệp tải về từ trang Tiến độ có sẵn các cột này.</p>
<button type="submit">Kiểm tra tệp</button>
</form>`;
}

function checkTable(checked: Checked): Html {
  const shown = checked.rows.slice(0, MAX_ROWS_SHOWN);
  return html`<div class="table-wrap"><table><caption>Kiểm tra từng dòng (${checked.rows.length} dòng)</caption>
<thead><tr><th scope="col" class="num">Dòng</th><th scope="col">Mã đơn vị</th><th scope="col">Kỳ</th><th scope="col">Chỉ tiêu</th><th scope="col" class="num">Tử số</th><th scope="col" class="num">Mẫu số</th><th scope="col">Kết quả kiểm tra</th></tr></thead>
<tbody>${shown.map((r) => {
    const error = checked.errors.get(r.line);
    const warning = checked.warnings.get(r.line);
    return html`<tr class="${error ? "bad" : warning ? "warn" : ""}"><td class="num">${r.line}</td><td>${cellText(r.unit_code)}</td><td>${cellText(r.period)}</td><td>${cellText(r.indicator)}</td><td class="num">${cellText(r.numerator)}</td><td class="num">${cellText(r.denominator)}</td>
<td>${error ? html`<strong>Lỗi:</strong> ${error}` : warning ? html`<strong>Lưu ý:</strong> ${warning}` : "Đúng"}</td></tr>`;
  })}</tbody></table></div>${checked.rows.length > shown.length ? html`<p>… và ${checked.rows.length - shown.length} dòng nữa.</p>` : ""}`;
}

export function registerImport(app: FastifyInstance, c: ConsoleContext): void {
  const stage = new Stage(c);

  app.get("/console/nhap", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    if (!signed.user.roles.length) return refused(c, reply, signed, "progress");
    return sendPage(c, reply, {
      title: "Nhập số liệu từ tệp báo cáo",
      active: "progress",
      signed,
      body: html`<p class="lead">Tải tệp lên để kiểm tra. Trang sẽ hiện kết quả kiểm tra từng dòng; số liệu chỉ được nhập khi bạn bấm xác nhận, và chỉ khi không dòng nào có lỗi.</p>${form(signed.csrf)}`,
    });
  });

  app.post("/console/nhap", async (request, reply) => {
    if (!request.isMultipart()) return reply.code(415).send();
    const file = await request.file().catch(() => undefined);
    const csrf = file?.fields._csrf && "value" in file.fields._csrf ? String(file.fields._csrf.value) : undefined;
    const signed = await signedPost(c, request, reply, csrf);
    if (!signed) return reply;
    const data = file ? await file.toBuffer().catch(() => undefined) : undefined;
    const title = "Kiểm tra tệp báo cáo";
    if (!file || !data || data.length === 0 || file.file.truncated) {
      return sendPage(c, reply, { title, active: "progress", signed, status: 400, body: html`${notice("error", file?.file.truncated ? "Tệp quá lớn (tối đa 5 MB)." : "Chưa chọn tệp, hoặc tệp trống.")}${form(signed.csrf)}` });
    }
    const name = file.filename.slice(0, 200);
    const checked = await check(c, signed, name, data);
    if (checked.fileErrors.length) {
      return sendPage(c, reply, { title, active: "progress", signed, status: 422, body: html`${notice("error", html`Không nhập gì. ${checked.fileErrors.map((e) => `${e.line > 0 ? `Dòng ${e.line}` : "Tệp"}: ${e.message}. `)}`)}${form(signed.csrf)}` });
    }
    if (checked.errors.size > 0) {
      return sendPage(c, reply, {
        title,
        active: "progress",
        signed,
        status: 422,
        body: html`${notice("error", `Không nhập gì: ${checked.errors.size} dòng có lỗi trong tệp ${name}. Sửa các dòng tô đỏ rồi tải tệp lên lại.`)}${checkTable(checked)}${form(signed.csrf)}`,
      });
    }
    const id = await stage.put({ personId: signed.user.personId, name, data: data.toString("base64") });
    return sendPage(c, reply, {
      title,
      active: "progress",
      signed,
      body: html`${notice("ok", `Tệp ${name}: ${checked.rows.length} dòng đúng${checked.warnings.size ? `, ${checked.warnings.size} dòng cần lưu ý (tỷ lệ báo cáo khác tỷ lệ tính được: nhập theo tỷ lệ tính được)` : ""}. Chưa nhập gì: kiểm tra bảng dưới đây rồi bấm xác nhận.`)}
${postForm("/console/nhap/xac-nhan", signed.csrf, html`<input type="hidden" name="id" value="${id}"><button type="submit">Xác nhận nhập ${checked.rows.length} dòng</button> <a class="button quiet" href="/console/nhap">Hủy</a>`)}
${checkTable(checked)}`,
    });
  });

  app.post("/console/nhap/xac-nhan", async (request, reply) => {
    const signed = await signedPost(c, request, reply);
    if (!signed) return reply;
    const title = "Nhập số liệu";
    const staged = await stage.take(field(request.body, "id") ?? "");
    if (!staged || staged.personId !== signed.user.personId) {
      return sendPage(c, reply, { title, active: "progress", signed, status: 410, body: html`${notice("error", "Kết quả kiểm tra đã hết hạn hoặc đã được xác nhận. Tải tệp lên lại.")}${form(signed.csrf)}` });
    }
    // Checked again: the user's roles or the units may have changed since the check was shown.
    const data = Buffer.from(staged.data, "base64");
    const checked = await check(c, signed, staged.name, data);
    if (checked.fileErrors.length || checked.errors.size) {
      return sendPage(c, reply, { title, active: "progress", signed, status: 422, body: html`${notice("error", "Không nhập gì: tệp không còn đúng khi kiểm tra lại.")}${checkTable(checked)}${form(signed.csrf)}` });
    }
    const result = await importRows(c.prisma, checked.rows, { source: "IMPORT", enteredBy: signed.user.label });
    if (result.errors.length) {
      return sendPage(c, reply, { title, active: "progress", signed, status: 422, body: html`${notice("error", "Không nhập gì: có dòng lỗi.")}${form(signed.csrf)}` });
    }
    await audit(c.prisma, {
      actorPersonId: signed.user.personId,
      actorLabel: signed.user.label,
      action: "indicators.import",
      detail: { file: staged.name, rows: result.rows, imported: result.imported, superseded: result.superseded, warnings: result.warnings.length },
    });
    return sendPage(c, reply, {
      title,
      active: "progress",
      signed,
      body: html`${notice("ok", `Đã nhập tệp ${staged.name}: ${result.imported} số liệu mới (${result.superseded} số liệu cũ được thay), ${result.unchanged} dòng không đổi.`)}<p><a href="/console/tien-do">Xem tiến độ</a> · <a href="/console/nhap">Nhập tệp khác</a></p>`,
    });
  });
}
