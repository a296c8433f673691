// IRI timestamps come in two units (created_at/deleted_at: Unix nanoseconds; event_time: Unix seconds) and the
// consumers convert them blindly, so a value in the wrong unit is a silent bug. These checks say which unit a
// value looks like when it is not the expected one.

export type TimeUnit = "nanoseconds" | "microseconds" | "milliseconds" | "seconds";

const PER_MILLISECOND: Record<TimeUnit, number> = {
  nanoseconds: 1e6,
  microseconds: 1e3,
  milliseconds: 1,
  seconds: 1e-3,
};

/** Clock skew between the suite and a provider on another host is tolerated up to this much. */
const CLOCK_SLACK_MS = 60 * 60 * 1000;

function toMilliseconds(value: bigint, unit: TimeUnit): number {
  return Number(value) / PER_MILLISECOND[unit];
}

/**
 * Why `value` is not a `unit` timestamp within [fromMs - slack, toMs + slack], or undefined when it is.
 */
export function timestampProblem(
  value: bigint,
  unit: TimeUnit,
  fromMs: number,
  toMs: number,
): string | undefined {
  const within = (u: TimeUnit) => {
    const ms = toMilliseconds(value, u);
    return ms >= fromMs - CLOCK_SLACK_MS && ms <= toMs + CLOCK_SLACK_MS;
  };
  if (within(unit)) return undefined;
  const looksLike = (Object.keys(PER_MILLISECOND) as TimeUnit[]).find((u) => u !== unit && within(u));
  if (looksLike) return `${value} looks like Unix ${looksLike}, expected Unix ${unit}`;
  return `${value} is not a Unix ${unit} timestamp near now (${new Date(toMs).toISOString()})`;
}

export function nowSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}
