/**
 * What a valid value of each brief field is: the intake's done rule and `update_brief_field`'s
 * schema both hold a field to these. Pure.
 * @module
 */
import { z } from "zod";
import { hasControlChars, normalizeNewlines } from "./text.ts";
import type { BriefField } from "../content/state.ts";

/** Text with line ends normalized, trimmed, `min` to `max` characters, no control characters. */
export const boundedText = (min: number, max: number) =>
  z.string().transform(normalizeNewlines).pipe(
    z.string().trim().min(min).max(max).refine((s) => !hasControlChars(s), {
      message: "contains control characters",
    }),
  );
/** Per-field rules for the brief; a value that breaks them fails the tool's schema. */
export const BRIEF_RULES: Record<BriefField, z.ZodType<string>> = {
  title: boundedText(3, 150),
  audience: boundedText(3, 300),
  angle: boundedText(10, 600),
  key_points: boundedText(3, 2000).refine(
    (s) => s.split(/\n|;/).filter((p) => p.trim().length >= 3).length >= 2,
    {
      message: "give at least two key points, one per line or separated by ;",
    },
  ),
  keywords: boundedText(2, 500).refine((s) => {
    const words = s.split(",").map((w) => w.trim()).filter(Boolean);
    return words.length >= 1 && words.length <= 12 && words.every((w) => w.length >= 2 && w.length <= 40);
  }, { message: "1 to 12 comma-separated keywords of 2 to 40 characters" }),
  tone: boundedText(3, 100),
  target_words: z.string().trim().regex(/^\d+$/, "a whole number of words").refine(
    (s) => Number(s) >= 200 && Number(s) <= 5000,
    { message: "between 200 and 5000 words" },
  ),
  sources: boundedText(1, 2000),
};
