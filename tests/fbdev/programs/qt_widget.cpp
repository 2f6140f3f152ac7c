// A Qt 5 widget program for the linuxfb platform: a full-screen window of
// one colour with a coloured frame at a known place. Prints "shown=1" once
// its first frame was painted, then runs until it is ended.
#include <QApplication>
#include <QFrame>
#include <QTimer>
#include <QWidget>

#include <cstdio>

namespace {

class Window final : public QWidget {
public:
    Window()
    {
        setAutoFillBackground(true);
        QPalette p = palette();
        p.setColor(QPalette::Window, QColor(0x33, 0x66, 0xcc));
        setPalette(p);
        auto* frame = new QFrame(this);
        frame->setGeometry(40, 30, 100, 50);
        frame->setAutoFillBackground(true);
        QPalette fp = frame->palette();
        fp.setColor(QPalette::Window, QColor(0xcc, 0x33, 0x33));
        frame->setPalette(fp);
    }

protected:
    void paintEvent(QPaintEvent* event) override
    {
        QWidget::paintEvent(event);
        if (!told_) {
            told_ = true;
            // After this paint reached the screen's backing store.
            QTimer::singleShot(0, [] {
                std::printf("shown=1\n");
                std::fflush(stdout);
            });
        }
    }

private:
    bool told_ = false;
};

}  // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    Window window;
    window.showFullScreen();
    return app.exec();
}
