"use client";
/** A USDC amount field's state: the text typed, the exact amount, or a plain-words error. */
import { useState } from "react";
import { explain } from "./errors.ts";
import { parseUsdc } from "./format.ts";

export function useUsdcInput() {
  const [text, setText] = useState("");
  let amount: bigint | null = null;
  let error: string | null = null;
  if (text.trim() !== "") {
    try {
      amount = parseUsdc(text);
      if (amount === 0n) error = "Enter an amount above zero.";
    } catch (e) {
      error = explain(e);
    }
  }
  return { text, setText, amount: error === null ? amount : null, error };
}
