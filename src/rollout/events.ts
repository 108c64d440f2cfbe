/** Typed progress of a rollout; views (TTY, plain lines, JSON) render these, the executor never prints. */
export type RolloutEvent =
  | {
      readonly type: "rollout-start";
      readonly nodes: readonly string[];
      readonly steps: number;
      readonly resumed: boolean;
    }
  | { readonly type: "step-start"; readonly node: string; readonly step: string; readonly label: string }
  | {
      readonly type: "step-done";
      readonly node: string;
      readonly step: string;
      readonly label: string;
      readonly ms: number;
    }
  | {
      readonly type: "step-skip";
      readonly node: string;
      readonly step: string;
      readonly label: string;
      readonly why: string;
    }
  | {
      readonly type: "step-failed";
      readonly node: string;
      readonly step: string;
      readonly label: string;
      readonly error: string;
    }
  | { readonly type: "info"; readonly node?: string; readonly message: string }
  | { readonly type: "rollout-done"; readonly ok: boolean; readonly failedNode?: string; readonly ms: number };

export type Reporter = (e: RolloutEvent) => void;
