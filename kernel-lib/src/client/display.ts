import { randomUUID } from 'node:crypto';

/** A multi-MIME display bundle, as Jupyter's display_data carries it. */
export type MimeBundle = Record<string, unknown>;

/** Objects that know how they look in a notebook (results, budgets) carry this method. */
export const MIME_BUNDLE = Symbol.for('lomas.mimeBundle');

/** util.inspect's hook: how console.log (and tslab's echo of a last expression) prints a value. */
export const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Values shown as several outputs (a result: its table card, then its chart) also carry this. */
export const MIME_BUNDLES = Symbol.for('lomas.mimeBundles');

export interface Displayable {
  [MIME_BUNDLE](): MimeBundle;
  [MIME_BUNDLES]?(): MimeBundle[];
}

export function isDisplayable(v: unknown): v is Displayable {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Partial<Displayable>)[MIME_BUNDLE] === 'function'
  );
}

type WriteDisplayData = (
  data: { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } },
  update: boolean
) => void;

/**
 * tslab exposes only one-MIME display publicly; a bundle (rich type + HTML + text fallbacks) needs
 * the kernel's writer. We reach it through the same tslab module instance the kernel uses and fall
 * back to plain text when we are not inside a tslab kernel.
 */
function kernelWriter(): WriteDisplayData | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jupyter = require('tslab/dist/jupyter') as {
      lastWriteDisplayData?: WriteDisplayData | null;
    };
    return typeof jupyter.lastWriteDisplayData === 'function' ? jupyter.lastWriteDisplayData : null;
  } catch {
    return null;
  }
}

export function inKernel(): boolean {
  return kernelWriter() !== null;
}

/**
 * Which cell is running (the Lomas kernel counts them, see kernel.ts), and which values a cell
 * already displayed: the echo of a cell's last expression skips a value shown moments before
 * (`await penguins.budget()` shows its bar once).
 */
let cell = 0;
const shownIn = new WeakMap<object, number>();

export function beginCell(): void {
  cell++;
}

export function markShown(value: object): void {
  shownIn.set(value, cell);
}

export function shownThisCell(value: unknown): boolean {
  return typeof value === 'object' && value !== null && cell > 0 && shownIn.get(value) === cell;
}

/** The outputs of a value: its own list, or its one bundle. */
export function displaysOf(value: Displayable): MimeBundle[] {
  return value[MIME_BUNDLES]?.() ?? [value[MIME_BUNDLE]()];
}

/**
 * A display that can be replaced in place (progress, then the result). It writes to the cell
 * that created it, also when it is updated after that cell ended (a progress line that becomes
 * "interrupted" once the server said whether the query was charged).
 */
export class Display {
  private readonly id = randomUUID();
  private readonly write = kernelWriter();
  private shown = false;

  show(bundle: MimeBundle): void {
    if (!this.write) {
      if (typeof bundle['text/plain'] === 'string') console.log(bundle['text/plain']);
      return;
    }
    this.write({ data: bundle, metadata: {}, transient: { display_id: this.id } }, this.shown);
    this.shown = true;
  }

  /** Shows the first bundle here (in place) and each other one as a new output after it. */
  showAll(bundles: MimeBundle[]): void {
    bundles.forEach((b, i) => (i === 0 ? this.show(b) : new Display().show(b)));
  }
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
}
