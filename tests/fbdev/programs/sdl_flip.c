/* An SDL 1.2 program on fbcon with a double-buffered 16 bpp screen: it draws
 * frames into the back page and flips (FBIOPAN_DISPLAY), then waits for a
 * "q" from the keyboard (read in K_MEDIUMRAW mode from the console).
 * Usage: sdl_flip FRAMES — frame i is filled with a colour of its own; the
 * last one is pure green. Prints "key=value" lines. */
#include <SDL/SDL.h>
#include <stdio.h>
#include <stdlib.h>

static Uint32 frame_colour(SDL_Surface* s, int i, int last)
{
    if (i == last)
        return SDL_MapRGB(s->format, 0, 255, 0);
    return SDL_MapRGB(s->format, (Uint8)(i * 40), 0, (Uint8)(255 - i * 40));
}

int main(int argc, char** argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const int frames = argc > 1 ? atoi(argv[1]) : 4;
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        printf("error=SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    const SDL_VideoInfo* info = SDL_GetVideoInfo();
    SDL_Surface* screen = SDL_SetVideoMode(info->current_w, info->current_h, 16,
                                           SDL_HWSURFACE | SDL_DOUBLEBUF | SDL_FULLSCREEN);
    if (!screen) {
        printf("error=SDL_SetVideoMode: %s\n", SDL_GetError());
        return 1;
    }
    SDL_ShowCursor(SDL_DISABLE);
    char driver[32];
    printf("driver=%s\n", SDL_VideoDriverName(driver, sizeof driver) ? driver : "?");
    printf("size=%dx%d\nbpp=%d\ndoublebuf=%d\nhwsurface=%d\n", screen->w, screen->h, screen->format->BitsPerPixel,
           (screen->flags & SDL_DOUBLEBUF) ? 1 : 0, (screen->flags & SDL_HWSURFACE) ? 1 : 0);
    for (int i = 0; i < frames; ++i) {
        SDL_FillRect(screen, NULL, frame_colour(screen, i, frames - 1));
        if (SDL_Flip(screen) != 0) {
            printf("error=SDL_Flip: %s\n", SDL_GetError());
            return 1;
        }
    }
    printf("flipped=%d\n", frames);
    SDL_Event event;
    while (SDL_WaitEvent(&event)) {
        if (event.type == SDL_KEYDOWN) {
            printf("key_down=%s\n", SDL_GetKeyName(event.key.keysym.sym));
            if (event.key.keysym.sym == SDLK_q)
                break;
        }
    }
    SDL_Quit();
    printf("quit=1\n");
    return 0;
}
