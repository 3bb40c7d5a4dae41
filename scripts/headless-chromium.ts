/**
 * Headless Chromium for the report pages' browser test and screenshots: Debian's `chromium`
 * (`apt-get install -y chromium`) driven by playwright-core through its executable path, as the
 * package's browser test does (playwright-core downloads no browser). The executable is
 * `$CHROMIUM_PATH` when set, else the first of the usual paths that exists.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

/** The Chromium executable, or undefined when there is none. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  return [fromEnv, ...CANDIDATES].find((path) => path !== undefined && path !== "" && existsSync(path));
}

/** The Chromium executable; throws naming the paths tried when there is none. */
export function chromiumPath(): string {
  const found = findChromium();
  if (found === undefined) {
    throw new Error(
      `no Chromium found (tried $CHROMIUM_PATH, ${CANDIDATES.join(", ")}); install it (Debian: apt-get install -y chromium) or set ` +
        `CHROMIUM_PATH`,
    );
  }
  return found;
}

/** Starts headless Chromium (no sandbox: CI runs as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** A new tab `width` CSS pixels wide showing the file at `path`, its network cut off. Close it with `page.context().close()`. */
export async function openPage(browser: Browser, path: string, width = 1400): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, offline: true });
  const page = await context.newPage();
  await page.goto(`file://${path}`, { waitUntil: "load" });
  return page;
}

/** How one chart (an element with class `chart`) is laid out. */
export interface ChartLayout {
  /** Its `data-chart` name. */
  readonly chart: string;
  readonly tag: string;
  readonly width: number;
  readonly height: number;
  /** Its right edge is past the page's text column (or its visible width). */
  readonly overflowsPage: boolean;
  /** Texts of an SVG chart that lie (partly) outside its view box: cut off on screen. */
  readonly textsOutside: readonly string[];
}

/** What {@link measureLayout} finds on a page. */
export interface PageLayout {
  readonly charts: readonly ChartLayout[];
  /** The page scrolls sideways. */
  readonly horizontalScroll: boolean;
  readonly scripts: number;
  /** Attributes that point at the network (src, href to http(s)). */
  readonly external: readonly string[];
  readonly boxes: readonly string[];
}

/**
 * The measurement, run inside the page. A string, not a function, because the project compiles
 * without the DOM's types (Node code only); it is plain browser JavaScript.
 */
const MEASURE = `(() => {
  const viewport = document.documentElement.clientWidth;
  // The right edge of the text column: a chart may not stick out of it, even where the window is wider.
  const body = document.body.getBoundingClientRect();
  const column = Math.min(viewport, body.right - parseFloat(getComputedStyle(document.body).paddingRight));
  const charts = [...document.querySelectorAll(".chart")].map((element) => {
    const rect = element.getBoundingClientRect();
    const textsOutside = [];
    if (element instanceof SVGSVGElement) {
      const view = element.viewBox.baseVal;
      const slack = 0.5;
      for (const text of element.querySelectorAll("text")) {
        const box = text.getBBox();
        const outside = box.x < view.x - slack || box.y < view.y - slack ||
          box.x + box.width > view.x + view.width + slack || box.y + box.height > view.y + view.height + slack;
        if (outside) {
          textsOutside.push(text.textContent || "");
        }
      }
    }
    return {
      chart: element.getAttribute("data-chart") || "",
      tag: element.tagName.toLowerCase(),
      width: rect.width,
      height: rect.height,
      overflowsPage: rect.right > column + 0.5,
      textsOutside,
    };
  });
  const external = [...document.querySelectorAll("[src], [href]")]
    .map((e) => e.getAttribute("src") || e.getAttribute("href") || "")
    .filter((url) => url.startsWith("http:") || url.startsWith("https:") || url.startsWith("//"));
  return {
    charts,
    horizontalScroll: document.documentElement.scrollWidth > viewport,
    scripts: document.querySelectorAll("script").length,
    external,
    boxes: [...document.querySelectorAll("[data-box]")].map((e) => e.getAttribute("data-box") || ""),
  };
})()`;

/** Measures every chart of the page in the browser; see {@link PageLayout}. */
export function measureLayout(page: Page): Promise<PageLayout> {
  return page.evaluate(MEASURE) as Promise<PageLayout>;
}
