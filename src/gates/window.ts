/**
 * `gate.window({ id, between: ['02:00', '04:00'], timezone? })` — open while the wall-clock time in
 * `timezone` (an IANA name, default UTC) is inside the window: from the first time (included) to
 * the second (excluded). A window whose end is before its start crosses midnight
 * (`['22:00', '02:00']`). Closed, it says when the window next opens, in the window's local time.
 * Uses `Intl.DateTimeFormat`, so daylight-saving changes follow the time zone database of Node.
 * See docs/gates/window.md.
 */
import { z } from 'zod';
import { common } from '../kind/fields.js';
import type { GateKind } from '../kind/step-kind.js';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM');

/** The options of `gate.window`, as a plan writes them (zod). */
export const schema = z
  .object({
    ...common,
    between: z.tuple([hhmm, hhmm]),
    timezone: z.string().min(1).optional(),
  })
  .strict();

/** Validated options of `gate.window`. */
export type Options = z.infer<typeof schema>;
/** Options of `gate.window` as the builder accepts them. */
export type Input = z.input<typeof schema>;

/** Minutes since midnight of `HH:MM`. */
function minutes(t: string): number {
  const [h, m] = t.split(':').map(Number);
  return h * 60 + m;
}

/** Wall-clock parts of `at` in `timeZone`. */
function localParts(at: Date, timeZone: string): { date: string; time: string; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00';
  const time = `${get('hour')}:${get('minute')}`;
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time, minutes: minutes(time) };
}

/** True when `timeZone` is a time zone `Intl` knows. */
export function validTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** `3 h 12 min`. */
function duration(mins: number): string {
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  return h ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`;
}

/** `02:00–04:00 Europe/Paris`. */
function windowText(between: readonly [string, string], timeZone: string): string {
  return `${between[0]}–${between[1]} ${timeZone}`;
}

/** Whether `now` is inside the window, and when it next opens or closes (pure: the clock is a parameter). */
export function windowVerdict(
  now: Date,
  between: readonly [string, string],
  timeZone = 'UTC',
): { open: boolean; localTime: string; reason: string; opensWhen: string; nextOpen?: string } {
  const [start, end] = between.map(minutes);
  const local = localParts(now, timeZone);
  const t = local.minutes;
  const open = start < end ? t >= start && t < end : t >= start || t < end;
  const win = windowText(between, timeZone);
  const opensWhen = `the window ${win} opens`;
  if (open) {
    const left = (end - t + 1440) % 1440 || 1440;
    return {
      open,
      localTime: local.time,
      reason: `it is ${local.time} ${timeZone}, inside the window ${win} (closes in ${duration(left)})`,
      opensWhen,
    };
  }
  const wait = (start - t + 1440) % 1440;
  let at = new Date(now.getTime() - (now.getTime() % 60_000) + wait * 60_000);
  // A daylight-saving change in between shifts the wall clock: correct once by the difference.
  const drift = ((start - localParts(at, timeZone).minutes + 2160) % 1440) - 720;
  if (drift !== 0 && Math.abs(drift) <= 120) at = new Date(at.getTime() + drift * 60_000);
  const next = localParts(at, timeZone);
  return {
    open,
    localTime: local.time,
    reason: `it is ${local.time} ${timeZone}, outside the window ${win}`,
    opensWhen: `the window opens at ${next.date} ${next.time} ${timeZone} (in ${duration(wait)}); run again then`,
    nextOpen: at.toISOString(),
  };
}

/** The `gate.window` kind. */
export const kind = {
  kind: 'gate.window',
  category: 'gate',
  schema,
  validate(o) {
    const issues: { field: string; message: string }[] = [];
    if (o.timezone && !validTimeZone(o.timezone))
      issues.push({
        field: 'timezone',
        message: `"${o.timezone}" is not a known IANA time zone (e.g. "Europe/Paris", "America/New_York", "UTC")`,
      });
    if (o.between[0] === o.between[1])
      issues.push({ field: 'between', message: 'start and end are the same time: the window would be empty' });
    return issues;
  },
  async describe(_ctx, o) {
    return { actions: [], notes: [`window ${windowText(o.between, o.timezone ?? 'UTC')}`] };
  },
  async evaluate(_ctx, o) {
    const v = windowVerdict(new Date(), o.between, o.timezone ?? 'UTC');
    return {
      open: v.open,
      reason: v.reason,
      opensWhen: v.opensWhen,
      detail: { between: o.between, timezone: o.timezone ?? 'UTC', localTime: v.localTime, nextOpen: v.nextOpen },
    };
  },
} satisfies GateKind<Options>;
