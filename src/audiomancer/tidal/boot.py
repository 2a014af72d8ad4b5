"""The Haskell side of the ghci service: the session's prelude, our stand-in for BootTidal.

BootTidal (Tidal 1.7's ``BootTidal.hs``) starts a stream that sends OSC to SuperDirt and binds
the names live coders call: ``d1`` .. ``d16``, ``p``, ``hush``, ``once``, ``setcps``, the
transitions (``xfadeIn``, ``jumpMod``, ...), ``setI``/``setF``/... for the stream's state, and
sets ``default (Pattern String, Integer, Double)``. Here the same names, with the same types,
capture what the code asks for instead of playing it:

- ``d1`` .. ``d16``, ``p`` and the transitions remember their pattern (``d1`` adds ``orbit 0``
  as BootTidal does); ``hush``, ``panic``, ``mute``, ``all`` act on what is remembered; every
  change is kept in a history, so code that ends by silencing everything (a trailing ``hush``,
  ``d1 silence``) can still be read as what played before it;
- ``setcps``, ``once``, ``asap``, ``first`` remember the tempo;
- ``setI``, ``setF``, ``setS``, ``setR``, ``setB`` keep values in a state that ``cF``, ``cI``,
  ... read when the patterns are queried, as the stream's state does;
- the rest (``nudgeAll``, ``resetCycles``, ``list``, ...) do nothing;
- ``Data.Map`` is imported qualified as ``Map``, and ``Data.Fixed``'s ``mod'``, as Tidal's
  documentation assumes (``fixRange ... (pure $ Map.singleton "note" ...)``,
  ``whenT ((< 0.5) . (flip mod' 2))``);
- names of Tidal 0.x that Tidal 1 dropped but old sets and tutorials use mean what they meant:
  ``sinewave1``/``sine1`` (and the tri, square, saw forms) are ``sine``..., ``sinewave`` and
  the like run from -1 to 1, ``e`` is ``euclid``, ``striate'`` is ``striateBy``, ``bps`` (the
  old name of cycles per second) is ``setcps``;
- names of Tidal 1.9 that this Tidal (1.7) lacks, as current code and the documentation use
  them: ``rolled``/``rolledBy`` (Tidal 1.9's definition), and the triggers (``qtrigger``,
  ``trigger``, ``qt``, ``mtrigger``, ...) in both forms, 1.9's without an ID and 1.7's with one
  (from cycle 0, where patterns are read, a triggered pattern is the pattern itself).

``amDump`` prints the events of every remembered pattern over ``[0, cycles)`` with Tidal's own
``query``, one pattern at a time, so a pattern that fails while it is queried (a bad
mini-notation string is only parsed then) is reported on its own line and the others still play.
"""

from __future__ import annotations

from typing import Final

DEFAULT_CPS: Final = 0.5625
"""Tidal's tempo when the code sets none (cycles per second)."""
MAX_ORBIT: Final = 16
EVENT_TAG: Final = "AMEV"
CPS_TAG: Final = "AMCPS"
ERROR_TAG: Final = "AMERR"
"""A remembered pattern failed while it was queried: ``AMERR`` name, tab, the exception."""
BACK_TAG: Final = "AMBACK"
"""The patterns remembered last play nothing; the lines after this are an earlier state's."""

# BootTidal's transitions: (name, the types of its arguments between the ID and the pattern,
# how many there are); each just remembers its pattern
_TRANSITIONS: Final = (
    ("xfade", "", 0),
    ("xfadeIn", "Time -> ", 1),
    ("jump", "", 0),
    ("jumpIn", "Int -> ", 1),
    ("jumpIn'", "Int -> ", 1),
    ("jumpMod", "Int -> ", 1),
    ("jumpMod'", "Int -> Int -> ", 2),
    ("clutch", "", 0),
    ("clutchIn", "Time -> ", 1),
    ("anticipate", "", 0),
    ("anticipateIn", "Time -> ", 1),
    ("interpolate", "", 0),
    ("interpolateIn", "Time -> ", 1),
    ("histpan", "Int -> ", 1),
    ("wait", "Time -> ", 1),
    ("waitT", "(Time -> [ControlPattern] -> ControlPattern) -> Time -> ", 2),
    ("forId", "Time -> ", 1),
    ("mortal", "Time -> Time -> ", 2),
)

STAND_IN_NAMES: Final = (
    r"d\d{1,2}|p|hush|panic|list|setcps|once|asap|first|only|solo|unsolo|mute|unmute"
    r"|unmuteAll|unsoloAll|resetCycles|setCycle|nudgeAll|setI|setF|setS|setR|setB|bps"
    r"|xfadeIn|xfade|jumpIn'|jumpIn|jumpMod'|jumpMod|jump|clutchIn|clutch|anticipateIn"
    r"|anticipate|interpolateIn|interpolate|histpan|waitT|wait|forId|mortal"
)
"""A regular expression of every name the stand-ins define that code calls (longest first)."""


def _stand_ins() -> str:
    orbits = "\n".join(
        f"d{n} :: ControlPattern -> IO ()\nd{n} = p {n} . (|< orbit {n - 1})"
        for n in range(1, MAX_ORBIT + 1)
    )
    transitions = "\n".join(
        f"{name} :: AmID.ID -> {types}ControlPattern -> IO ()\n{name} i {'_ ' * arity}= p i"
        for name, types, arity in _TRANSITIONS
    )
    return f"""
amChange :: (AmMap.Map String ControlPattern -> AmMap.Map String ControlPattern) -> IO ()
amChange f = do
  new <- f <$> readIORef amSlots
  writeIORef amSlots new
  modifyIORef' amHistory (new :)

p :: AmID.ID -> ControlPattern -> IO ()
p i pat = amChange (AmMap.insert (AmID.fromID i) pat)

hush, panic, list :: IO ()
hush = amChange (const AmMap.empty)
panic = hush
list = return ()

only :: IO () -> IO ()
only = (hush >>)

once :: ControlPattern -> IO ()
once pat = case [v | e <- queryArc pat (Arc 0 1), Just (VF v) <- [AmMap.lookup "cps" (value e)]] of
  (v : _) -> v `seq` writeIORef amTempo (Just v)
  [] -> return ()

asap :: ControlPattern -> IO ()
asap = once

first :: ControlPattern -> IO ()
first = once

setcps :: Pattern Double -> IO ()
setcps = once . cps

getcps :: IO Double
getcps = maybe {DEFAULT_CPS} id <$> readIORef amTempo

getnow :: IO Double
getnow = return 0

mute, unmute, solo, unsolo :: AmID.ID -> IO ()
mute i = modifyIORef' amMuted (AmSet.insert (AmID.fromID i))
unmute i = modifyIORef' amMuted (AmSet.delete (AmID.fromID i))
solo _ = return ()
unsolo _ = return ()

unmuteAll, unsoloAll, resetCycles :: IO ()
unmuteAll = writeIORef amMuted AmSet.empty
unsoloAll = return ()
resetCycles = return ()

setCycle :: Time -> IO ()
setCycle _ = return ()

nudgeAll :: Double -> IO ()
nudgeAll _ = return ()

all :: (ControlPattern -> ControlPattern) -> IO ()
all = writeIORef amAll

amSet :: Valuable a => String -> Pattern a -> IO ()
amSet k pat = modifyIORef' amState (AmMap.insert k (VPattern (toValue <$> pat)))

setI :: String -> Pattern Int -> IO ()
setI = amSet
setF :: String -> Pattern Double -> IO ()
setF = amSet
setS :: String -> Pattern String -> IO ()
setS = amSet
setR :: String -> Pattern Rational -> IO ()
setR = amSet
setB :: String -> Pattern Bool -> IO ()
setB = amSet

getState :: IO ValueMap
getState = readIORef amState

-- Tidal 0.x names that Tidal 1 dropped, as old sets and tutorials use them
sinewave, sinewave1, sine1, squarewave, squarewave1, square1 :: Fractional a => Pattern a
triwave, triwave1, tri1 :: (Fractional a, Real a) => Pattern a
sinewave = (\\x -> x * 2 - 1) <$> sine
sinewave1 = sine
sine1 = sine
triwave = (\\x -> x * 2 - 1) <$> tri
triwave1 = tri
tri1 = tri
squarewave = (\\x -> x * 2 - 1) <$> square
squarewave1 = square
square1 = square
sawwave, sawwave1, saw1 :: (Fractional a, Real a) => Pattern a
sawwave = (\\x -> x * 2 - 1) <$> saw
sawwave1 = saw
saw1 = saw

e :: Pattern Int -> Pattern Int -> Pattern a -> Pattern a
e = euclid

striate' :: Pattern Int -> Pattern Double -> ControlPattern -> ControlPattern
striate' = striateBy

bps :: Pattern Double -> IO ()
bps = setcps

-- Tidal 1.9 names and forms that Tidal 1.7 lacks, as current code and documentation use them.
-- The triggers (1.9: no ID argument; 1.7: an ID first) take either form: from cycle 0, where
-- the capture reads every pattern, a triggered pattern is the pattern itself.
class AmTrigger t where
  amTrigger :: t
instance AmTrigger (Pattern a -> Pattern a) where
  amTrigger = id
instance Show x => AmTrigger (x -> Pattern a -> Pattern a) where
  amTrigger = const id

class AmModTrigger t where
  amModTrigger :: t
instance (i ~ Int) => AmModTrigger (i -> Pattern a -> Pattern a) where
  amModTrigger = const id
instance Show x => AmModTrigger (x -> Int -> Pattern a -> Pattern a) where
  amModTrigger _ = const id

trigger, qtrigger, qt, ctrigger, rtrigger, ftrigger :: AmTrigger t => t
trigger = amTrigger
qtrigger = amTrigger
qt = amTrigger
ctrigger = amTrigger
rtrigger = amTrigger
ftrigger = amTrigger

mtrigger, mt :: AmModTrigger t => t
mtrigger = amModTrigger
mt = amModTrigger

-- Tidal 1.9's rolledBy: the notes of each chord (events sharing a whole) start one after
-- another over the given fraction of the chord's length (negative: from the top down)
rolledWith :: Rational -> Pattern a -> Pattern a
rolledWith t = withEvents aux
  where aux es = concatMap steps (groupBy (\\a b -> whole a == whole b) (order es))
        order es = if t < 0 then reverse es else es
        steps xs = mapMaybe (\\(n, ev) -> shiftIt n (length xs) ev) (zip [0 :: Int ..] xs)
        shiftIt n d ev@(Event c (Just (Arc s e)) a' v)
          | t == 0 = Just ev
          | otherwise = do
              let newS = s + (e - s) / ((1 / abs t) * fromIntegral d) * fromIntegral n
              a'' <- subArc (Arc newS e) a'
              return (Event c (Just (Arc newS e)) a'' v)
        shiftIt _ _ ev = Just ev

rolledBy :: Pattern Rational -> Pattern a -> Pattern a
rolledBy pt v = tParam rolledWith pt v

rolled :: Pattern a -> Pattern a
rolled = rolledBy (1 / 4)

{transitions}

{orbits}

amRat :: Rational -> String
amRat x = show (numerator x) ++ " " ++ show (denominator x)

amValue :: Value -> String
amValue v = case v of
  VS x -> 's' : show x
  VF x -> 'f' : show x
  VN x -> 'n' : show (unNote x)
  VI x -> 'i' : show x
  VR x -> 'r' : amRat x
  VB x -> 'b' : show x
  _ -> '?' : show (show v)

amEvent :: Event ValueMap -> String
amEvent e = "{EVENT_TAG} " ++ whole' ++ " " ++ amRat (start (part e)) ++ " "
    ++ amRat (stop (part e))
    ++ concatMap (\\(k, v) -> "\\t" ++ k ++ "=" ++ amValue v) (AmMap.toList (value e))
  where whole' = case whole e of
          Just (Arc s t) -> amRat s ++ " " ++ amRat t
          Nothing -> "- - - -"

amReset :: IO ()
amReset = do
  writeIORef amSlots AmMap.empty
  writeIORef amHistory []
  writeIORef amState AmMap.empty
  writeIORef amMuted AmSet.empty
  writeIORef amAll id
  writeIORef amTempo Nothing

amLines :: ValueMap -> Rational -> Int -> (String, ControlPattern) -> IO [String]
amLines st cycles limit (k, pat) = do
  let ls = map amEvent (take limit (query pat (State (Arc 0 cycles) st)))
  r <- AmE.try (AmE.evaluate (sum (map length ls) `seq` ls))
  return $ case r of
    Right done -> done
    Left e -> ["{ERROR_TAG} " ++ k ++ "\\t" ++ map (\\c -> if c < ' ' then ' ' else c)
                 (show (e :: AmE.SomeException))]

amDump :: Rational -> Int -> Bool -> IO ()
amDump cycles limit back = do
  current <- readIORef amSlots
  history <- readIORef amHistory
  muted <- readIORef amMuted
  f <- readIORef amAll
  st <- readIORef amState
  let playing m = [(k, f pat) | (k, pat) <- AmMap.toList m, not (AmSet.member k muted)]
      go [] = return ()
      go (m : rest) = do
        ls <- concat <$> mapM (amLines st cycles limit) (playing m)
        mapM_ putStrLn ls
        if not back || null rest || any (\\l -> take {len(EVENT_TAG) + 1} l == "{EVENT_TAG} ") ls
          then return ()
          else putStrLn "{BACK_TAG}" >> go rest
  go (current : drop 1 history)
  tempo <- readIORef amTempo
  putStrLn ("{CPS_TAG} " ++ maybe "-" show tempo)
"""


_HEADER: Final = """\
:set -XOverloadedStrings
:set -XFlexibleInstances
:set -XTypeFamilies
:set prompt ""
:set prompt-cont ""
import System.IO
import Data.IORef
import qualified Control.Exception as AmE
import qualified Data.Map.Strict as AmMap
import qualified Data.Set as AmSet
import qualified Sound.Tidal.ID as AmID
import qualified Data.Map as Map
import Data.List (groupBy)
import Data.Maybe (mapMaybe)
import Data.Fixed (mod')
import Sound.Tidal.Context
default (Pattern String, Integer, Double)
hSetBuffering stdout LineBuffering
amSlots <- newIORef (AmMap.empty :: AmMap.Map String ControlPattern)
amHistory <- newIORef ([] :: [AmMap.Map String ControlPattern])
amState <- newIORef (AmMap.empty :: ValueMap)
amMuted <- newIORef (AmSet.empty :: AmSet.Set String)
amAll <- newIORef (id :: ControlPattern -> ControlPattern)
amTempo <- newIORef (Nothing :: Maybe Double)"""


def prelude() -> str:
    """Clear the interactive context, then define the stand-ins (a fresh slate per request)."""
    return ":load\n" + _HEADER + "\n:{\n" + _stand_ins().strip("\n") + "\n:}"
