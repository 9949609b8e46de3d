/** Where a retry sends a workflow, and what starting a stage over clears. */
import { assertEquals } from "../assert.ts";
import { cannotStartOver, resumeAt, startOver } from "../../src/pipeline/send_back.ts";
import { sampleState } from "../output/fixtures.ts";

const none = { briefFields: new Set<never>(), sections: new Set<string>() };

Deno.test("a retry without --stage resumes where the workflow stopped, past a stage done by hand", () => {
  const flagged = sampleState();
  flagged.decision = { kind: "flagged", reason: "x" };
  const resumed = resumeAt({ stage: "editor", status: "flagged" }, flagged);
  assertEquals([resumed.stage, resumed.state.decision], ["editor", null]);
  flagged.draft!.sections[0].revision = "Shorter";
  assertEquals(resumeAt({ stage: "editor", status: "flagged" }, flagged).stage, "writer");
  // Stuck at the writer, with every section written by hand: the editor is next.
  assertEquals(resumeAt({ stage: "writer", status: "stuck" }, sampleState()).stage, "editor");
});

Deno.test("starting a stage over clears its work and what follows, keeping hand edits", () => {
  const state = sampleState();
  const planner = startOver(state, "planner", none);
  assertEquals([planner.state.draft, planner.cleared], [null, [
    "the draft",
    "the editor's decision",
    "the publisher's metadata",
  ]]);
  const researcher = startOver(state, "researcher", { ...none, sections: new Set(["s1"]) });
  const sections = researcher.state.draft!.sections;
  assertEquals(sections.map((s) => [s.citations.length, s.notes.length, s.markdown !== ""]), [
    [0, 0, true],
    ...sections.slice(1).map(() => [0, 0, false]),
  ]);
  assertEquals(state.draft!.sections[1].markdown !== "", true, "the state given is not changed");
  const writer = startOver(state, "writer", none);
  assertEquals(cannotStartOver("editor", "writer", writer.state), null);
  const allByHand = new Set(state.draft!.sections.map((s) => s.id));
  const kept = startOver(state, "writer", { ...none, sections: allByHand });
  assertEquals(
    cannotStartOver("editor", "writer", kept.state),
    "the writer would have nothing to do: your edits to brief.json or draft.md do its work; retry without " +
      "--stage to go on from there",
  );
  assertEquals(
    cannotStartOver("writer", "editor", writer.state),
    "the writer's work is not done yet: a retry sends a workflow back to intake, planner, researcher, writer, " +
      "not past a stage",
  );
});
