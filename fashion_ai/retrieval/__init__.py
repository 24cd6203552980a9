"""Finding what a shopper wants: query reading (query), search (search), outfits (outfits), colour harmony
(harmony) and the AI stylist (stylist), each over the catalog store and the catalog embedder."""
