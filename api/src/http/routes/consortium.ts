import { Router } from "express";
import type { ChainAdapter } from "../../chain/chainAdapter";
import { validate } from "../validate";
import { claimantParams } from "../schemas";
import type { ConsortiumDescriptor } from "../../verify/descriptor";

/** What a client needs to sign and encrypt: chain, contracts, members and their encryption keys. */
export function consortiumRouter(chain: ChainAdapter, descriptor: ConsortiumDescriptor): Router {
  const router = Router();
  // A convenience copy: what clients and verifiers pin should come from the consortium, not the gateway.
  router.get("/consortium/descriptor", (_req, res) => {
    res.json(descriptor);
  });
  router.get("/consortium", async (_req, res) => {
    const info = await chain.consortiumInfo();
    res.json({ chainId: chain.chainId.toString(), contracts: chain.addresses, ...info });
  });
  router.get("/claimants/:address", async (req, res) => {
    const { address } = validate(claimantParams, req.params, "path");
    res.json({ address, claimNonce: (await chain.claimNonce(address)).toString() });
  });
  return router;
}
