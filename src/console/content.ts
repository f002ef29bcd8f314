// «Rà soát nội dung» (admins: the `content.review` permission): the questions the bot fell back on or was
// unsure about, stored redacted, grouped by similarity, each group with the intent it probably belongs to
// (the matcher's best guess and confidence) and the YAML lines to add under that intent's examples. The
// page writes nothing: an editor pastes the lines into intents/, runs `faq validate` and restarts the bot.
// Thin over features/faq/review.ts. The questions carry no unit (content is one for the whole bot), so an
// admin of any unit sees them all; they are redacted and name nobody.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { formatVietnamTime } from "../core/helpers.ts";
import { KnowledgeBaseError, loadKnowledgeBase, repoRoot, type KnowledgeBase } from "../features/faq/knowledge.ts";
import { FaqMatcher } from "../features/faq/matcher.ts";
import { askedQuestions, reviewQuestions, WEAK_GUESS, type ReviewGroup } from "../features/faq/review.ts";
import { mayAnywhere, refused, sendPage, signedIn, type ConsoleContext } from "./context.ts";
import { html, notice, type Html } from "./html.ts";

const PERIODS = [7, 30, 90] as const;
const DEFAULT_DAYS = 30;
/** Groups shown on one page (the largest); the rest are counted. */
const MAX_GROUPS = 60;

/**
 * The intents and the matcher as the files are now. Read again when a file under intents/ or content/
 * changed, so an editor who pasted lines sees at once which questions the bot would now answer (the bot
 * itself reads them at start-up).
 */
class ContentOnDisk {
  private stamp = "";
  private loaded: { kb: KnowledgeBase; matcher: FaqMatcher; at: Date } | { error: string; at: Date } | undefined;

  constructor(private readonly root: string) {}

  private currentStamp(): string {
    const parts: string[] = [];
    for (const dir of ["intents", "content"]) {
      const full = path.join(this.root, dir);
      for (const name of readdirSync(full).sort()) {
        if (/\.(ya?ml|md)$/.test(name)) parts.push(`${dir}/${name}:${statSync(path.join(full, name)).mtimeMs}`);
      }
    }
    return parts.join("|");
  }

  get() {
    let stamp: string;
    try {
      stamp = this.currentStamp();
    } catch (error) {
      // intents/ or content/ missing or unreadable: said on the page, as for broken content.
      return { error: String(error), at: new Date() };
    }
    if (!this.loaded || stamp !== this.stamp) {
      this.stamp = stamp;
      try {
        const kb = loadKnowledgeBase(this.root);
        this.loaded = { kb, matcher: new FaqMatcher(kb), at: new Date() };
      } catch (error) {
        this.loaded = { error: error instanceof KnowledgeBaseError ? error.message : String(error), at: new Date() };
      }
    }
    return this.loaded;
  }
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

function groupSection(g: ReviewGroup, n: number, tz: string): Html {
  const id = `nhom-${n}`;
  const weak = g.intent !== null && g.intent.confidence < WEAK_GUESS;
  const answeredNow = g.questions.filter((q) => q.answeredNow).length;
  const guess = g.intent
    ? html`<p>${weak ? "Đoán yếu, có thể ngoài phạm vi: " : "Có lẽ thuộc mục: "}<strong>${g.intent.title}</strong> (<code>${g.intent.id}</code>, ${g.intent.file}) · độ tin cậy
<span class="meter" aria-hidden="true"><span class="w${Math.round(g.intent.confidence * 10)}"></span></span> ${percent(g.intent.confidence)} · ${g.intent.agreeing}/${g.questions.length} câu hỏi đoán như vậy</p>`
    : html`<p>Không khớp mục nào: có thể là một nội dung mới, hoặc ngoài phạm vi của Trợ lý.</p>`;
  return html`<section class="ticket review" aria-labelledby="${id}">
<h2 id="${id}">Nhóm ${n}: «${g.questions[0]!.text}» · ${g.asked} lần hỏi</h2>
<p>Lần cuối ${formatVietnamTime(g.lastAsked, tz)}${g.sharedWords.length ? html` · từ chung: <strong>${g.sharedWords.join(", ")}</strong>` : ""}${answeredNow ? html` · <strong>${answeredNow}</strong> câu nay đã trả lời được` : ""}</p>
${guess}
<div class="table-wrap"><table><caption>${g.questions.length} cách hỏi trong nhóm ${n}</caption>
<thead><tr><th scope="col">Câu hỏi (đã che số định danh, số điện thoại)</th><th scope="col" class="num">Số lần</th><th scope="col">Trợ lý đã</th><th scope="col">Đoán bây giờ</th></tr></thead>
<tbody>${g.questions.map(
    (q) => html`<tr><td>${q.text}</td><td class="num">${q.count}</td><td>${q.fallbacks === q.count ? "không hiểu" : q.fallbacks === 0 ? "phân vân" : `không hiểu ${q.fallbacks}, phân vân ${q.count - q.fallbacks}`}</td>
<td>${q.guess ? html`<code>${q.guess.intentId}</code> ${percent(q.guess.confidence)}${q.answeredNow ? " · trả lời được" : ""}` : "—"}</td></tr>`,
  )}</tbody></table></div>
${g.yaml
    ? html`<h3 id="${id}-yaml">Dòng YAML để thêm${weak || !g.intent ? " (xem lại trước khi thêm)" : ""}</h3><pre class="yaml" aria-labelledby="${id}-yaml" tabindex="0">${g.yaml}</pre>`
    : html`<p>Không có dòng nào để thêm.</p>`}
${g.skipped.length ? html`<p class="hint">Không đưa vào: ${g.skipped.map((s) => `«${s.text}» (${s.reason === "redacted" ? "có số đã che" : s.reason === "answered" ? "nay đã trả lời được" : "đã là ví dụ"})`).join("; ")}.</p>` : ""}
</section>`;
}

export function registerContentReview(app: FastifyInstance, c: ConsoleContext, root = repoRoot): void {
  const content = new ContentOnDisk(root);

  app.get("/console/noi-dung", async (request, reply) => {
    const signed = await signedIn(c, request, reply);
    if (!signed) return reply;
    if (!mayAnywhere(signed, "content.review")) return refused(c, reply, signed, "content");
    const asked = Number((request.query as Record<string, unknown>).ngay);
    const days = (PERIODS as readonly number[]).includes(asked) ? asked : DEFAULT_DAYS;
    const tz = c.config.TZ;
    const loaded = content.get();
    const periods = html`<p>Trong: ${PERIODS.map((d) => (d === days ? html`<strong>${d} ngày qua</strong> ` : html`<a href="/console/noi-dung?ngay=${d}">${d} ngày qua</a> `))}</p>`;
    if ("error" in loaded) {
      return sendPage(c, reply, {
        title: "Rà soát nội dung",
        active: "content",
        signed,
        body: html`${notice("error", "Nội dung trong intents/ hoặc content/ đang có lỗi, nên chưa đoán được mục cho các câu hỏi. Chạy «npm run faq -- validate» để xem chi tiết:")}<pre class="yaml">${loaded.error}</pre>`,
      });
    }
    const questions = await askedQuestions(c.prisma, days);
    const groups = reviewQuestions(questions, loaded.kb, loaded.matcher);
    const times = questions.reduce((n, q) => n + q.count, 0);
    return sendPage(c, reply, {
      title: "Rà soát nội dung",
      active: "content",
      signed,
      body: html`<p class="lead">Câu hỏi Trợ lý chưa trả lời được (không hiểu, hoặc phân vân và đưa ra lựa chọn), đã che số định danh và số điện thoại, gom theo độ giống nhau: hai câu cùng nhóm khi các từ chung chiếm từ 45% số từ của cả hai trở lên (từ hiếm tính nặng hơn từ thường gặp như «cho tôi hỏi»). Mỗi nhóm có mục Trợ lý đoán là gần nhất và các dòng để thêm vào phần <code>examples:</code> của mục đó.</p>
<p class="hint">Trang này không sửa gì trong intents/. Sau khi thêm: viết lại câu bằng lời của mình nếu cần, chạy <code>npm run faq -- validate</code>, rồi khởi động lại Trợ lý. Nội dung đọc lúc ${formatVietnamTime(loaded.at, tz)}.</p>
${periods}
${questions.length
        ? html`<p><strong>${questions.length}</strong> câu hỏi khác nhau, hỏi <strong>${times}</strong> lần, trong <strong>${groups.length}</strong> nhóm.${groups.length > MAX_GROUPS ? ` Hiện ${MAX_GROUPS} nhóm hỏi nhiều nhất.` : ""}</p>
${groups.slice(0, MAX_GROUPS).map((g, i) => groupSection(g, i + 1, tz))}`
        : notice("ok", `Không có câu hỏi nào chưa trả lời được trong ${days} ngày qua.`)}`,
    });
  });
}
